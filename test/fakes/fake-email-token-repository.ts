import type { EmailTokenRepository } from '../../src/domain/ports/email-token-repository.js';
import { copy, type FakeState } from './fake-state.js';

/** One-time email links over the state, with the Postgres adapter's rules (newest link only, single use, expiry). */
export function createFakeEmailTokenRepository(state: FakeState): EmailTokenRepository {
  const usable = (hash: string, purpose: string, now: Date) => state.emailTokens.find((t) => t.tokenHash === hash && t.purpose === purpose && !t.usedAt && t.expiresAt > now);
  const record = ({ usedAt: _used, ...rest }: FakeState['emailTokens'][number]) => copy(rest);
  return {
    async issue(token) {
      state.emailTokens = state.emailTokens.filter((t) => !(t.userId === token.userId && t.purpose === token.purpose && !t.usedAt));
      state.emailTokens.push(copy(token));
    },
    async findUsable(hash, purpose, now) {
      const found = usable(hash, purpose, now);
      return found ? record(found) : undefined;
    },
    async consume(hash, purpose, now) {
      const found = usable(hash, purpose, now);
      if (!found) return undefined;
      found.usedAt = now;
      return record(found);
    },
    async deleteExpired(now) {
      const before = state.emailTokens.length;
      state.emailTokens = state.emailTokens.filter((t) => t.expiresAt > now);
      return before - state.emailTokens.length;
    },
  };
}
