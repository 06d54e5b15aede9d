/** A second factor a person enrolled. Secrets never leave storage except to the use case checking them. */
interface FactorBase {
  id: string;
  userId: string;
  name: string;
  createdAt: Date;
  lastUsedAt?: Date;
}

/** An authenticator app (RFC 6238). `sealedSecret` is encrypted (see secret-box.ts). */
export interface TotpFactor extends FactorBase {
  kind: 'totp';
  sealedSecret: string;
  /** The last time step a code was accepted for: a code of that step or earlier is refused. */
  lastStep?: number;
}

/** A WebAuthn credential (a passkey or a security key). */
export interface PasskeyFactor extends FactorBase {
  kind: 'passkey';
  /** base64url */
  credentialId: string;
  /** base64url of the COSE public key */
  publicKey: string;
  signCount: number;
  transports: string[];
  /** Synced between devices (a software-protected key, amr `swk`), else device-bound (`hwk`). */
  backedUp: boolean;
}

export type Factor = TotpFactor | PasskeyFactor;

/** What a person (or an admin) sees of a factor: never the secret or key. */
export interface FactorSummary { id: string; kind: Factor['kind']; name: string; createdAt: Date; lastUsedAt?: Date }

export interface FactorRepository {
  list(userId: string): Promise<Factor[]>;
  insert(factor: Factor): Promise<void>;
  findPasskey(credentialId: string): Promise<PasskeyFactor | undefined>;
  /**
   * Records `step` as used if it is later than the last one, atomically (one conditional
   * UPDATE): of two requests with the same code, exactly one gets true.
   */
  advanceTotpStep(factorId: string, step: number, at: Date): Promise<boolean>;
  /** Records a passkey's use and its new signature counter. */
  recordPasskeyUse(factorId: string, signCount: number, at: Date): Promise<void>;
  rename(userId: string, factorId: string, name: string): Promise<boolean>;
  remove(userId: string, factorId: string): Promise<boolean>;
  /** Every factor and recovery code of a user; how many factors there were. */
  removeAll(userId: string): Promise<number>;
  /** Replaces the user's recovery codes with these (SHA-256 hashes). */
  replaceRecoveryCodes(userId: string, codeHashes: string[]): Promise<void>;
  /** Marks an unused code used, atomically; false when it is unknown or was used before. */
  useRecoveryCode(userId: string, codeHash: string, at: Date): Promise<boolean>;
  unusedRecoveryCodes(userId: string): Promise<number>;
}
