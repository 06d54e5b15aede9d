import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';

import { StorageUnavailableError } from '../../src/domain/errors.js';
import { answerStorageOutagesWith503 } from '../../src/oidc/errors.js';

describe('a storage outage that reaches oidc-provider\'s error handler untranslated', () => {
  const render = async (error: unknown) => {
    const provider = new EventEmitter();
    const middleware = answerStorageOutagesWith503(provider as never);
    const ctx = { state: {}, status: 200, body: undefined as unknown, type: '' };
    // What oidc-provider's error handler does with an error it does not know: 500 server_error.
    await middleware(ctx, async () => {
      ctx.status = 500;
      ctx.body = { error: 'server_error', error_description: 'oops! something went wrong' };
      provider.emit('server_error', ctx, error);
    });
    return ctx;
  };

  it('is answered 503 temporarily_unavailable, also when wrapped as a cause', async () => {
    for (const error of [new StorageUnavailableError(new Error('x')), new Error('callback failed', { cause: new StorageUnavailableError(null) })]) {
      const ctx = await render(error);
      assert.equal(ctx.status, 503);
      assert.equal((ctx.body as { error: string }).error, 'temporarily_unavailable');
    }
  });

  it('any other server error stays a 500', async () => {
    const ctx = await render(new TypeError('a bug'));
    assert.equal(ctx.status, 500);
    assert.equal((ctx.body as { error: string }).error, 'server_error');
  });
});
