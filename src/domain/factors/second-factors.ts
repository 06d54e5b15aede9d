import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

import type { AuditLog } from '../audit/audit-log.js';
import type { AuditedChange, ChangeOrigin } from '../management/audited-change.js';
import type { Clock } from '../ports/clock.js';
import type { Factor, FactorRepository, FactorSummary, PasskeyFactor, TotpFactor } from '../ports/factor-repository.js';
import { randomIds, type IdGenerator } from '../ports/id-generator.js';
import type { Store } from '../ports/store.js';
import type { LoginThrottle } from '../users/login-throttle.js';
import type { AuthenticationMethod } from './authentication-methods.js';
import type { CeremonyRefusal, PasskeyCeremony } from './passkey-ceremony.js';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.js';
import type { SecretBox } from './secret-box.js';
import { isWellFormedTotpCode, newTotpSecret, totpStep, totpUri } from './totp.js';

const ENROLMENT_SECONDS = 900;
/** How long new recovery codes wait for the page that shows them once. */
const HELD_CODES_SECONDS = 300;
const NAME_MAX = 100;

/** Where a check happens, for the audit log. */
export interface FactorContext { requestId?: string; ip?: string; clientId?: string }

export type FactorCheck =
  | { ok: true; method: AuthenticationMethod }
  /** For operators; a person is shown one message per kind of input. */
  | { ok: false; reason: 'wrong_code' | 'replayed' | 'malformed' | 'locked_out' | 'no_factor' };

export type PasskeySignIn =
  | { ok: true; userId: string; amr: AuthenticationMethod[] }
  | { ok: false; reason: 'unknown_credential' | 'wrong_user' | CeremonyRefusal['reason'] };

/** What a person takes away from an enrolment: recovery codes, when they had none yet (shown once). */
export interface Enrolled { factor: FactorSummary; recoveryCodes?: string[] }

/** A passkey's transports, for the audit row (they tell a device-bound authenticator from a roaming one). */
const transportsOf = (factor: Factor) => (factor.kind === 'passkey' ? { transports: factor.transports } : {});

const summaryOf = ({ id, kind, name, createdAt, lastUsedAt }: Factor): FactorSummary => ({ id, kind, name, createdAt, lastUsedAt });

export interface SecondFactorsDeps {
  factors: FactorRepository;
  /** Enrolment, removal and resets are changes: written with their audit row in one transaction. */
  change: AuditedChange;
  audit: AuditLog;
  store: Store;
  box: SecretBox;
  /** The sign-in lockout: wrong codes count with wrong passwords. */
  throttle: LoginThrottle;
  passkeys: PasskeyCeremony;
  clock: Clock;
  /** The name authenticator apps show for the account (the issuer's host). */
  issuerName: string;
  ids?: IdGenerator;
}

/**
 * A person's second factors: TOTP (RFC 6238), passkeys (WebAuthn) and recovery codes. Used by the
 * sign-in pages, and by the account page to enrol, rename and remove factors. Every enrolment,
 * removal, failure and recovery-code use is audited; TOTP and recovery-code failures count
 * towards the same lockout as wrong passwords, and the completed sign-in (completeSignIn) ends it.
 */
export function createSecondFactors(deps: SecondFactorsDeps) {
  const { factors, box, clock } = deps;
  const newId = deps.ids ?? randomIds;
  const throttleKey = (userId: string) => `user:${userId}`;
  const enrolmentKey = (userId: string) => `totp-enrolment:${userId}`;
  const secretContext = (userId: string) => `totp:${userId}`;

  async function freshRecoveryCodes(tx: FactorRepository, userId: string): Promise<string[]> {
    const codes = generateRecoveryCodes();
    await tx.replaceRecoveryCodes(userId, codes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c)!)));
    return codes;
  }

  /** Adds a factor; recovery codes come with a person's first factor. */
  async function enrol(origin: ChangeOrigin, factor: Factor): Promise<Enrolled> {
    return deps.change(origin, async (tx, record) => {
      const first = (await tx.factors.unusedRecoveryCodes(factor.userId)) === 0;
      await tx.factors.insert(factor);
      const recoveryCodes = first ? await freshRecoveryCodes(tx.factors, factor.userId) : undefined;
      await record('factor.enrolled', `user:${factor.userId}`, {
        factor_id: factor.id, kind: factor.kind, name: factor.name, recovery_codes_issued: Boolean(recoveryCodes), ...transportsOf(factor),
      });
      return { factor: summaryOf(factor), recoveryCodes };
    });
  }

  async function failed(userId: string, reason: string, kind: string, context: FactorContext, error?: string): Promise<void> {
    await deps.audit.record({
      actor: `user:${userId}`, action: 'factor.failed', target: `user:${userId}`,
      details: { kind, reason, client_id: context.clientId, ...(error ? { error } : {}) }, requestId: context.requestId, ip: context.ip,
    });
  }

  /** Counts a wrong code like a wrong password; audits the failure that starts a lock. */
  async function countFailure(userId: string, context: FactorContext): Promise<void> {
    if (await deps.throttle.recordFailure(throttleKey(userId))) {
      await deps.audit.record({ actor: 'anonymous', action: 'login.lockout', target: `user:${userId}`, details: { client_id: context.clientId, by: 'second_factor' }, requestId: context.requestId, ip: context.ip });
    }
  }

  const name = (given: string | undefined, fallback: string) => (given?.trim().slice(0, NAME_MAX) || fallback);

  return {
    /** The factors a person has (never a secret), and how many recovery codes are left. */
    async summary(userId: string): Promise<{ factors: FactorSummary[]; recoveryCodesLeft: number }> {
      const [list, left] = await Promise.all([factors.list(userId), factors.unusedRecoveryCodes(userId)]);
      return { factors: list.map(summaryOf), recoveryCodesLeft: left };
    },

    /** Which kinds of factor a person has (what the second step offers). */
    async kindsOf(userId: string): Promise<Set<Factor['kind']>> {
      return new Set((await factors.list(userId)).map((f) => f.kind));
    },

    async hasFactor(userId: string): Promise<boolean> {
      return (await factors.list(userId)).length > 0;
    },

    async passkeysOf(userId: string): Promise<PasskeyFactor[]> {
      return (await factors.list(userId)).filter((f): f is PasskeyFactor => f.kind === 'passkey');
    },

    /**
     * Starts adding an authenticator app: a new secret, kept sealed in the store for 15 minutes
     * until a code from it confirms it (the same one while pending, so a mistyped code or a
     * reload does not make the person scan again). Once confirmed it is never shown again.
     */
    async beginTotp(userId: string, label: string): Promise<{ secret: string; uri: string }> {
      const pending = await deps.store.getJson<string>(enrolmentKey(userId));
      const secret = pending ? box.open(pending, secretContext(userId)) : newTotpSecret();
      await deps.store.setJson(enrolmentKey(userId), box.seal(secret, secretContext(userId)), ENROLMENT_SECONDS);
      return { secret, uri: totpUri(secret, label, deps.issuerName) };
    },

    /** Confirms the app with a code of the pending secret; undefined when the code is wrong or nothing is pending. */
    async confirmTotp(origin: ChangeOrigin, userId: string, code: string, factorName?: string): Promise<Enrolled | undefined> {
      const sealed = await deps.store.getJson<string>(enrolmentKey(userId));
      if (!sealed || !isWellFormedTotpCode(code)) return undefined;
      const secret = box.open(sealed, secretContext(userId));
      const step = totpStep(secret, code, clock.now());
      if (step === undefined) return undefined;
      await deps.store.delete([enrolmentKey(userId)]);
      const factor: TotpFactor = {
        id: newId(), userId, kind: 'totp', name: name(factorName, 'Authenticator app'), createdAt: clock.now(),
        sealedSecret: box.seal(secret, secretContext(userId)), lastStep: step,
      };
      return enrol(origin, factor);
    },

    /**
     * Checks a TOTP code of any of the person's apps. A code is good once (the last accepted time
     * step is stored, and advanced atomically); failures count towards the lockout.
     */
    async verifyTotp(userId: string, code: string, context: FactorContext): Promise<FactorCheck> {
      // Read together (a sign-in waits for each round trip in turn); a locked account's list goes unused.
      const [locked, list] = await Promise.all([deps.throttle.isLocked(throttleKey(userId)), factors.list(userId)]);
      if (locked) {
        await failed(userId, 'locked_out', 'totp', context);
        return { ok: false, reason: 'locked_out' };
      }
      const apps = list.filter((f): f is TotpFactor => f.kind === 'totp');
      const trimmed = code.replace(/\s/g, '');
      let reason: 'wrong_code' | 'replayed' | 'malformed' | 'no_factor' = apps.length ? 'wrong_code' : 'no_factor';
      if (!isWellFormedTotpCode(trimmed)) reason = 'malformed';
      else {
        for (const app of apps) {
          const step = totpStep(box.open(app.sealedSecret, secretContext(userId)), trimmed, clock.now());
          if (step === undefined) continue;
          // The lockout count ends with the sign-in (completeSignIn), not here: one store write fewer per sign-in.
          if (await factors.advanceTotpStep(app.id, step, clock.now())) return { ok: true, method: 'otp' };
          reason = 'replayed';
        }
      }
      await failed(userId, reason, 'totp', context);
      await countFailure(userId, context);
      return { ok: false, reason };
    },

    /** Uses one recovery code (single use, atomically); audited either way, failures count towards the lockout. */
    async useRecoveryCode(userId: string, code: string, context: FactorContext): Promise<FactorCheck> {
      if (await deps.throttle.isLocked(throttleKey(userId))) {
        await failed(userId, 'locked_out', 'recovery_code', context);
        return { ok: false, reason: 'locked_out' };
      }
      const normalized = normalizeRecoveryCode(code);
      if (normalized && await factors.useRecoveryCode(userId, hashRecoveryCode(normalized), clock.now())) {
        const left = await factors.unusedRecoveryCodes(userId);
        await deps.audit.record({ actor: `user:${userId}`, action: 'recovery_code.used', target: `user:${userId}`, details: { left, client_id: context.clientId }, requestId: context.requestId, ip: context.ip });
        return { ok: true, method: 'otp' };
      }
      const reason = normalized ? 'wrong_code' : 'malformed';
      await failed(userId, reason, 'recovery_code', context);
      await countFailure(userId, context);
      return { ok: false, reason };
    },

    /** Options for adding a passkey; the challenge is kept under `ceremonyKey`. */
    async passkeyRegistrationOptions(ceremonyKey: string, user: { id: string; username: string }) {
      return deps.passkeys.registrationOptions(ceremonyKey, user, await this.passkeysOf(user.id));
    },

    /** Adds the passkey the browser created; undefined when its response does not verify (audited). */
    async registerPasskey(origin: ChangeOrigin, userId: string, ceremonyKey: string, response: RegistrationResponseJSON, factorName?: string): Promise<Enrolled | undefined> {
      const verified = await deps.passkeys.verifyRegistration(ceremonyKey, response);
      if (!verified.ok) {
        await failed(userId, `registration_${verified.reason}`, 'passkey', origin, verified.error);
        return undefined;
      }
      return enrol(origin, { ...verified.credential, id: newId(), userId, name: name(factorName, 'Passkey'), createdAt: clock.now() });
    },

    /** Options for a passkey sign-in: any discoverable credential, or only `userId`'s as a second factor. */
    async passkeyAuthenticationOptions(ceremonyKey: string, userId?: string) {
      return deps.passkeys.authenticationOptions(ceremonyKey, userId ? await this.passkeysOf(userId) : undefined);
    },

    /**
     * Signs in with a passkey. Alone it is possession of a key (`hwk` for a device-bound one,
     * `swk` for one synced between devices); with user verification (PIN or biometric on the
     * device) it is two factors, so `mfa` too. With `expectedUserId` (a second factor after the
     * password) the credential must be that person's.
     */
    async verifyPasskey(ceremonyKey: string, response: AuthenticationResponseJSON, context: FactorContext, expectedUserId?: string): Promise<PasskeySignIn> {
      const factor = typeof response?.id === 'string' ? await factors.findPasskey(response.id) : undefined;
      if (!factor) {
        await deps.audit.record({ actor: 'anonymous', action: 'factor.failed', details: { kind: 'passkey', reason: 'unknown_credential', client_id: context.clientId }, requestId: context.requestId, ip: context.ip });
        return { ok: false, reason: 'unknown_credential' };
      }
      if (expectedUserId !== undefined && factor.userId !== expectedUserId) {
        await failed(expectedUserId, 'wrong_user', 'passkey', context);
        return { ok: false, reason: 'wrong_user' };
      }
      const verified = await deps.passkeys.verifyAuthentication(ceremonyKey, response, factor);
      if (!verified.ok) {
        await failed(factor.userId, verified.reason, 'passkey', context, verified.error);
        return { ok: false, reason: verified.reason };
      }
      await factors.recordPasskeyUse(factor.id, verified.signCount, clock.now());
      const key: AuthenticationMethod = factor.backedUp ? 'swk' : 'hwk';
      return { ok: true, userId: factor.userId, amr: verified.userVerified ? [key, 'mfa'] : [key] };
    },

    /**
     * A sign-in that needed a second factor is complete: the lockout count ends (a right password
     * alone did not end it) and the sign-in is audited with its methods; `stepUp` when an existing
     * session proved a second factor it lacked.
     */
    async completeSignIn(userId: string, amr: readonly string[], context: FactorContext & { stepUp?: boolean }): Promise<void> {
      await Promise.all([
        deps.throttle.reset(throttleKey(userId)),
        deps.audit.record({
          actor: `user:${userId}`, action: context.stepUp ? 'login.step_up' : 'login.succeeded', target: `user:${userId}`,
          details: { client_id: context.clientId, amr }, requestId: context.requestId, ip: context.ip,
        }),
      ]);
    },

    async rename(origin: ChangeOrigin, userId: string, factorId: string, newName: string): Promise<boolean> {
      return deps.change(origin, async (tx, record) => {
        const renamed = await tx.factors.rename(userId, factorId, name(newName, 'Factor'));
        if (renamed) await record('factor.renamed', `user:${userId}`, { factor_id: factorId });
        return renamed;
      });
    },

    /** Removes one factor; the last one takes the recovery codes with it. */
    async remove(origin: ChangeOrigin, userId: string, factorId: string): Promise<boolean> {
      return deps.change(origin, async (tx, record) => {
        // Read first: the removal's audit row (and the event it publishes) says what kind of factor went.
        const before = await tx.factors.list(userId);
        const factor = before.find((f) => f.id === factorId);
        if (!factor || !(await tx.factors.remove(userId, factorId))) return false;
        if (before.length === 1) await tx.factors.replaceRecoveryCodes(userId, []);
        await record('factor.removed', `user:${userId}`, { factor_id: factorId, kind: factor.kind, ...transportsOf(factor) });
        return true;
      });
    },

    /**
     * Keeps new recovery codes (sealed) for the page that shows them once, under a key the
     * caller names (an account page session): a post redirects to that page, and a reload of it
     * shows them no more.
     */
    async holdRecoveryCodes(holder: string, codes: string[]): Promise<void> {
      await deps.store.setJson(`recovery-codes:${holder}`, box.seal(JSON.stringify(codes), `recovery:${holder}`), HELD_CODES_SECONDS);
    },

    async takeRecoveryCodes(holder: string): Promise<string[] | undefined> {
      const sealed = await deps.store.getJson<string>(`recovery-codes:${holder}`);
      if (!sealed) return undefined;
      await deps.store.delete([`recovery-codes:${holder}`]);
      return JSON.parse(box.open(sealed, `recovery:${holder}`)) as string[];
    },

    /** New recovery codes (the old ones stop working); undefined for a person with no factor. */
    async regenerateRecoveryCodes(origin: ChangeOrigin, userId: string): Promise<string[] | undefined> {
      return deps.change(origin, async (tx, record) => {
        if ((await tx.factors.list(userId)).length === 0) return undefined;
        const codes = await freshRecoveryCodes(tx.factors, userId);
        await record('recovery_codes.regenerated', `user:${userId}`, {});
        return codes;
      });
    },
  };
}

export type SecondFactors = ReturnType<typeof createSecondFactors>;
