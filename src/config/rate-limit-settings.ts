import type { RateLimitPolicy } from '../domain/ports/rate-limiter.js';
import type { Config } from './load-config.js';

/** The endpoint groups that have their own limits (one setting each: rateLimitToken, …). */
export const RATE_LIMIT_GROUPS = ['token', 'introspection', 'revocation', 'device', 'login', 'registration', 'management'] as const;
export type RateLimitGroup = typeof RATE_LIMIT_GROUPS[number];

/** One group's quotas: per authenticated client (where the group has clients) and per address. */
export interface GroupLimits {
  client?: RateLimitPolicy;
  ip: RateLimitPolicy;
}

const settingOf = (group: RateLimitGroup) => `rateLimit${group[0]!.toUpperCase()}${group.slice(1)}` as `rateLimit${Capitalize<RateLimitGroup>}`;

/**
 * Each group's quotas from its `client=N,ip=N,window=S` setting (the schema checked the form);
 * undefined when rateLimits is off.
 */
export function rateLimitSettings(config: Config): Record<RateLimitGroup, GroupLimits> | undefined {
  if (!config.rateLimits) return undefined;
  return Object.fromEntries(RATE_LIMIT_GROUPS.map((group) => {
    const fields = new Map(config[settingOf(group)].split(',').map((pair) => pair.split('=') as [string, string]));
    const windowSeconds = Number(fields.get('window'));
    const policy = (name: string) => (fields.has(name) ? { points: Number(fields.get(name)), windowSeconds } : undefined);
    return [group, { client: policy('client'), ip: policy('ip')! }];
  })) as Record<RateLimitGroup, GroupLimits>;
}
