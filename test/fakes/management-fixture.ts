import assert from 'node:assert/strict';

import type { AppError } from '../../src/domain/errors.js';
import { createAuditedChange } from '../../src/domain/management/audited-change.js';
import { createFakeStorage } from './fake-storage.js';
import { createSeeder } from './seed.js';

export const origin = { actor: 'user:operator', requestId: 'req-1', ip: '192.0.2.1' };

/** Fake storage, a seeder and the audited change over them: what every management use case is built from. */
export function createManagementFixture() {
  const storage = createFakeStorage();
  return {
    storage,
    state: storage.state,
    clock: storage.clock,
    repos: storage.repos,
    seed: createSeeder(storage),
    change: createAuditedChange({ transaction: storage.transaction, clock: storage.clock }),
    /** The audit log's actions, oldest first. */
    actions: () => storage.state.audit.map((row) => row.action),
  };
}

/** Awaits a refusal of the given class; with `field`, one of its field errors must name that input field. */
export async function refused(promise: Promise<unknown>, type: abstract new (...args: never[]) => AppError, field?: string): Promise<AppError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  if (field !== undefined) assert.ok(caught.fields?.some((e) => e.field === field), `expected a field error naming ${field}, got ${JSON.stringify(caught.fields)}`);
  return caught;
}
