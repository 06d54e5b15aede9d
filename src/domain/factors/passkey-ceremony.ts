import type {
  AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON,
} from '@simplewebauthn/server';

import type { Store } from '../ports/store.js';
import type { PasskeyFactor } from '../ports/factor-repository.js';

export interface RelyingParty {
  /** The WebAuthn RP ID: the issuer's host name. */
  id: string;
  name: string;
  /** The only origin a ceremony may come from: the issuer's. */
  origin: string;
}

const CHALLENGE_SECONDS = 300;

/** A response a browser posted, as far as the server can tell before verifying it. */
export type PasskeyResponse = RegistrationResponseJSON | AuthenticationResponseJSON;

/**
 * Why a response did not verify, for the audit log (a person is shown one message):
 * `no_challenge` (none pending, or already used), `counter_regressed` (the key signed, but its
 * signature counter did not advance: a cloned authenticator, or a replayed assertion), or
 * `not_verified` with the library's reason in `error` (wrong challenge, origin, RP ID, signature…).
 */
export interface CeremonyRefusal { ok: false; reason: 'no_challenge' | 'counter_regressed' | 'not_verified'; error?: string }

const ERROR_MAX = 200;
const refusal = (reason: CeremonyRefusal['reason'], error?: unknown): CeremonyRefusal => ({
  ok: false, reason, ...(error === undefined ? {} : { error: (error instanceof Error ? error.message : String(error)).slice(0, ERROR_MAX) }),
});

/**
 * WebAuthn ceremonies (@simplewebauthn/server): options with a fresh challenge kept in the store
 * under a key the caller names (an interaction, an account page session), and verification
 * against that challenge, the issuer's origin and RP ID. A challenge is taken out of the store
 * when read, so a response is verified once.
 */
export function createPasskeyCeremony(deps: { store: Store; rp: RelyingParty }) {
  const { rp, store } = deps;
  // Loaded by the first ceremony (before its challenge is taken): with its certificate parsers
  // (@peculiar/*, asn1js) @simplewebauthn/server is ~5 MB of live heap a node serving only tokens never uses.
  let library: Promise<typeof import('@simplewebauthn/server')> | undefined;
  const webauthn = () => (library ??= import('@simplewebauthn/server'));
  const challengeKey = (kind: 'reg' | 'auth', key: string) => `webauthn:${kind}:${key}`;

  async function takeChallenge(kind: 'reg' | 'auth', key: string): Promise<string | undefined> {
    const challenge = await store.getJson<string>(challengeKey(kind, key));
    if (challenge) await store.delete([challengeKey(kind, key)]);
    return challenge;
  }

  return {
    async registrationOptions(key: string, user: { id: string; username: string }, existing: PasskeyFactor[]): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const { generateRegistrationOptions } = await webauthn();
      const options = await generateRegistrationOptions({
        rpName: rp.name, rpID: rp.id, userName: user.username, userID: new TextEncoder().encode(user.id),
        attestationType: 'none',
        excludeCredentials: existing.map((f) => ({ id: f.credentialId, transports: f.transports as never })),
        // Discoverable, so the same passkey also signs in without a username.
        authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
      });
      await store.setJson(challengeKey('reg', key), options.challenge, CHALLENGE_SECONDS);
      return options;
    },

    /** The new credential, or why the response does not verify (wrong challenge, origin, RP ID, signature). */
    async verifyRegistration(key: string, response: RegistrationResponseJSON): Promise<{ ok: true; credential: Omit<PasskeyFactor, 'id' | 'userId' | 'name' | 'createdAt'> } | CeremonyRefusal> {
      const { verifyRegistrationResponse } = await webauthn();
      const expectedChallenge = await takeChallenge('reg', key);
      if (!expectedChallenge) return refusal('no_challenge');
      try {
        const result = await verifyRegistrationResponse({ response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: false });
        if (!result.verified) return refusal('not_verified', 'the attestation did not verify');
        const { credential, credentialBackedUp } = result.registrationInfo;
        return {
          ok: true,
          credential: {
            kind: 'passkey', credentialId: credential.id, publicKey: Buffer.from(credential.publicKey).toString('base64url'),
            signCount: credential.counter, transports: credential.transports ?? [], backedUp: credentialBackedUp,
          },
        };
      } catch (error) {
        return refusal('not_verified', error);
      }
    },

    /** Without `allow`, any discoverable credential may answer (username-less sign-in). */
    async authenticationOptions(key: string, allow?: PasskeyFactor[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const { generateAuthenticationOptions } = await webauthn();
      const options = await generateAuthenticationOptions({
        rpID: rp.id, userVerification: 'preferred',
        allowCredentials: allow?.map((f) => ({ id: f.credentialId, transports: f.transports as never })),
      });
      await store.setJson(challengeKey('auth', key), options.challenge, CHALLENGE_SECONDS);
      return options;
    },

    /**
     * Verifies an assertion of `factor`. The signature counter must advance (when the
     * authenticator keeps one): a response whose counter did not is refused as
     * `counter_regressed` when its signature is otherwise good, a sign of a cloned key.
     */
    async verifyAuthentication(key: string, response: AuthenticationResponseJSON, factor: PasskeyFactor): Promise<{ ok: true; signCount: number; userVerified: boolean } | CeremonyRefusal> {
      const { verifyAuthenticationResponse } = await webauthn();
      const expectedChallenge = await takeChallenge('auth', key);
      if (!expectedChallenge) return refusal('no_challenge');
      const verify = (counter: number) => verifyAuthenticationResponse({
        response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: false,
        credential: { id: factor.credentialId, publicKey: Buffer.from(factor.publicKey, 'base64url'), counter, transports: factor.transports as never },
      });
      try {
        const result = await verify(factor.signCount);
        if (!result.verified) return refusal('not_verified', 'the signature did not verify');
        return { ok: true, signCount: result.authenticationInfo.newCounter, userVerified: result.authenticationInfo.userVerified };
      } catch (error) {
        // The library checks the counter before the signature: checked again without the
        // counter, a good signature tells a cloned key apart from a forged response.
        if (factor.signCount > 0 && (await verify(0).then((r) => r.verified, () => false))) return refusal('counter_regressed', error);
        return refusal('not_verified', error);
      }
    },
  };
}

export type PasskeyCeremony = ReturnType<typeof createPasskeyCeremony>;
