/** A Store TTL (seconds, maybe fractional) in whole milliseconds, at least 1: Redis refuses 0 and fractions. */
export const ttlMs = (ttlSeconds: number): number => Math.max(1, Math.ceil(ttlSeconds * 1000));
