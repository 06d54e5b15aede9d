import { strict as assert } from 'node:assert';

import { StorageUnavailableError } from '../../src/domain/errors.js';
import { isUnavailable, toDomainError } from '../../src/storage/domain-errors.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const named = (message: string, name: string) => Object.assign(new Error(message), { name });

describe('storage errors: which failures mean "unavailable" (503 + Retry-After) and which are bugs (500)', () => {
  const unavailable: Array<[string, Error]> = [
    ['57P01 admin shutdown (pg_terminate_backend, a fast restart)', withCode('terminating connection due to administrator command', '57P01')],
    ['57P02 crash shutdown', withCode('terminating connection because of crash of another server process', '57P02')],
    ['57P03 cannot connect now (starting up)', withCode('the database system is starting up', '57P03')],
    ['08006 connection failure', withCode('connection failure', '08006')],
    ['53300 too many connections', withCode('sorry, too many clients already', '53300')],
    ['ECONNREFUSED', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['ECONNRESET', withCode('read ECONNRESET', 'ECONNRESET')],
    ['ETIMEDOUT', withCode('connect ETIMEDOUT', 'ETIMEDOUT')],
    ['an AggregateError of refused addresses (Node\'s happy eyeballs)', new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], '')],
    ['a wrapped cause', new Error('query failed', { cause: withCode('x', '57P01') })],
    ['knex pool timeout', named('Knex: Timeout acquiring a connection. The pool is probably full.', 'KnexTimeoutError')],
    ['pg connect timeout', new Error('Connection terminated due to connection timeout')],
    ['pg connect timeout (connectionTimeoutMillis)', new Error('timeout expired')],
    ['pg connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['pg closed client', new Error('Client was closed and is not queryable')],
    ['pg read timeout', new Error('Query read timeout')],
    ['ioredis closed', new Error('Connection is closed.')],
    ['ioredis offline queue off', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['ioredis command timeout', new Error('Command timed out')],
    ['ioredis retries exhausted', named('Reached the max retries per request limit (which is 1).', 'MaxRetriesPerRequestError')],
  ];
  for (const [what, error] of unavailable) {
    it(`unavailable: ${what}`, () => {
      assert.ok(isUnavailable(error));
      assert.ok(toDomainError(error) instanceof StorageUnavailableError);
    });
  }

  const bugs: Array<[string, Error]> = [
    ['a syntax error', withCode('syntax error at or near "x"', '42601')],
    ['a missing table', withCode('relation "x" does not exist', '42P01')],
    ['a statement cancelled by statement_timeout (a slow query, not an outage)', withCode('canceling statement due to statement timeout', '57014')],
    ['a TypeError', new TypeError('cannot read properties of undefined')],
  ];
  for (const [what, error] of bugs) {
    it(`a bug, not an outage: ${what}`, () => assert.equal(isUnavailable(error), false));
  }
});
