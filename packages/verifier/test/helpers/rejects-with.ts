import { strict as assert } from 'node:assert';

import { VerifierError, type VerifierErrorCode } from '../../src/index.js';

/** Awaits a promise that must reject with a VerifierError of this code (and status and message). */
export async function rejectsWith(promise: Promise<unknown>, code: VerifierErrorCode, status?: number, description?: RegExp): Promise<VerifierError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof VerifierError, `expected a VerifierError, got ${String(error)}`);
    assert.equal(error.code, code, `${error.code}: ${error.message}`);
    if (status) assert.equal(error.status, status);
    if (description) assert.match(error.message, description);
    return error;
  }
  assert.fail(`expected ${code}, but it resolved`);
}
