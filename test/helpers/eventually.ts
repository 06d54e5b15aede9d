/**
 * Polls `probe` every `intervalMs` until it returns something other than undefined, and returns
 * that; throws once `timeoutMs` has passed. For waiting on a condition instead of a fixed sleep.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'a condition'}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}
