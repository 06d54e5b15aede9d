/** Rows an UPDATE or DELETE touched: pg gives knex a number, knex-pglite a result object. */
export function affectedRows(result: unknown): number {
  if (typeof result === 'number') return result;
  const r = result as { affectedRows?: number; rowCount?: number } | undefined;
  return Number(r?.affectedRows ?? r?.rowCount ?? 0);
}
