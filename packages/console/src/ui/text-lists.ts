/** A textarea's lines (or a field's words) as a list: trimmed, empty ones dropped, duplicates once. */
export function linesOf(value: string | boolean | undefined): string[] {
  return [...new Set(String(value ?? '').split(/[\n,]+/).map((v) => v.trim()).filter(Boolean))];
}

export function wordsOf(value: string | boolean | undefined): string[] {
  return [...new Set(String(value ?? '').split(/[\s,]+/).map((v) => v.trim()).filter(Boolean))];
}

/** The error message of anything thrown, for a toast. */
export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
