/**
 * Text Gatehouse can keep: Postgres `text` and `jsonb` refuse the NUL character (SQLSTATE 22021,
 * 22P05) and unpaired UTF-16 surrogates (they have no UTF-8 form; jsonb refuses their escapes).
 * Input carrying either is refused where it enters, so no query ever sees it.
 */

/** With the `u` flag a surrogate class matches only surrogates that are not half of a pair. */
const UNSTORABLE = /\u0000|[\uD800-\uDFFF]/u;
/**
 * Without it, any surrogate (paired or not) or NUL: a far cheaper scan (no Unicode mode), so the
 * exact check above runs only on the rare text that holds one — not on every token's 600 ASCII characters.
 */
const MAYBE_UNSTORABLE = /[\u0000\uD800-\uDFFF]/;
const unstorable = (text: string) => MAYBE_UNSTORABLE.test(text) && UNSTORABLE.test(text);

/** Why `text` cannot be stored, or undefined when it can. */
export function unstorableReason(text: string): string | undefined {
  const match = MAYBE_UNSTORABLE.test(text) ? UNSTORABLE.exec(text) : null;
  if (!match) return undefined;
  return match[0] === '\u0000' ? 'must not contain a NUL character' : 'must not contain an unpaired surrogate (not valid Unicode)';
}

export interface UnstorableValue {
  /** JSON Pointer (RFC 6901) of the value within the one searched; a key's own problem points at its value. */
  pointer: string;
  detail: string;
}

/** Whether any string (or object key) inside `value` cannot be stored; allocates nothing. */
function holdsUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return unstorable(value);
  if (Array.isArray(value)) return value.some(holdsUnstorable);
  if (value === null || typeof value !== 'object') return false;
  for (const key in value) {
    if (Object.hasOwn(value, key) && (unstorable(key) || holdsUnstorable((value as Record<string, unknown>)[key]))) return true;
  }
  return false;
}

/** Every string (and object key) inside `value` that cannot be stored, depth first. */
export function findUnstorable(value: unknown, pointer = ''): UnstorableValue[] {
  // Nearly every request holds none: check first, and build pointers only for one that does.
  if (!holdsUnstorable(value)) return [];
  if (typeof value === 'string') {
    const detail = unstorableReason(value);
    return detail ? [{ pointer, detail }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => findUnstorable(item, `${pointer}/${index}`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const keyDetail = unstorableReason(key);
    return [...(keyDetail ? [{ pointer: at, detail: `name ${keyDetail}` }] : []), ...findUnstorable(item, at)];
  });
}
