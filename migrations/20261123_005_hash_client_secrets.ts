import type { Knex } from 'knex';

import {
  CLIENT_SECRET_HASHES_PROPERTY, IMPORTED_SECRET_PROPERTY, hashClientSecret, isPlaceholder, unusableSecretPlaceholder,
} from '../src/domain/clients/client-secret.js';

/**
 * Client secrets were stored as given (only the import wrote them). From here on only their
 * SHA-256 hashes are kept, next to a placeholder `client_secret` that is never accepted
 * (docs/CLIENT-SECRETS.md). The same secrets keep working; re-importing the file that set them
 * changes nothing.
 */
export async function up(knex: Knex): Promise<void> {
  const rows = await knex('clients').select('client_id', 'metadata') as Array<{ client_id: string; metadata: unknown }>;
  for (const row of rows) {
    const metadata = (typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata) as Record<string, unknown>;
    const secret = metadata.client_secret;
    if (typeof secret !== 'string' || isPlaceholder(secret)) continue;
    const hash = hashClientSecret(secret);
    const hashed = {
      ...metadata,
      client_secret: unusableSecretPlaceholder(),
      [CLIENT_SECRET_HASHES_PROPERTY]: [{ hash, createdAt: new Date().toISOString() }],
      [IMPORTED_SECRET_PROPERTY]: hash,
    };
    await knex('clients').where({ client_id: row.client_id }).update({ metadata: JSON.stringify(hashed), updated_at: knex.fn.now() });
  }
}

/** The plain-text secrets cannot be recovered from their hashes; going back leaves them hashed. */
export async function down(): Promise<void> {}
