/** Postgres (and PGlite) report a duplicate key as SQLSTATE 23505, naming the constraint. */
export function uniqueViolation(error: unknown): string | undefined {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' ? e.constraint ?? 'unique' : undefined;
}

/** SQLSTATE 23503: the row refers to one that does not exist (or is still referred to). */
export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '23503';
}
