import { strict as assert } from 'node:assert';

import type { StoredEvent } from '../../src/domain/events/domain-event.js';
import { createOutboxRelay } from '../../src/domain/events/outbox-relay.js';
import type { LeaseRelayCursor } from '../../src/domain/ports/event-repository.js';
import type { Repositories } from '../../src/domain/ports/repositories.js';

/** An outbox of `count` events and a cursor leased in process; counts the events read. */
function outbox(count: number) {
  const events: StoredEvent[] = Array.from({ length: count }, (_, i) => ({
    seq: i + 1, id: `e${i + 1}`, type: 'user.updated', time: new Date(0), actor: 'test', subject: `user:${i}`, labIds: [], data: {},
  }));
  const state = { cursor: 0, read: 0 };
  const repos = {
    events: {
      async after(seq: number, _filter: unknown, limit: number) {
        const found = events.filter((e) => e.seq > seq).slice(0, limit);
        state.read += found.length;
        return found;
      },
      async latestSeq() { return events.length; },
    },
  } as unknown as Repositories;
  const lease: LeaseRelayCursor = async (_name, work) => {
    const { afterSeq, result } = await work(state.cursor, repos);
    state.cursor = afterSeq;
    return result;
  };
  return { state, lease };
}

describe('outbox relay', () => {
  it('hands events to its sink a batch at a time, moving the cursor after each', async () => {
    const { state, lease } = outbox(7);
    const taken: number[][] = [];
    const relay = createOutboxRelay({ name: 'test', lease, batchSize: 5, sink: async (events) => { taken.push(events.map((e) => e.seq)); } });
    assert.equal(await relay.relayOnce(), 5);
    assert.equal(await relay.relayOnce(), 2);
    assert.equal(await relay.relayOnce(), 0);
    assert.deepEqual(taken, [[1, 2, 3, 4, 5], [6, 7]]);
    assert.equal(state.cursor, 7);
  });

  it('with nobody listening, moves its cursor to the newest event without reading any; a later listener gets what comes after', async () => {
    const { state, lease } = outbox(1000);
    let listening = false;
    const taken: number[] = [];
    const relay = createOutboxRelay({ name: 'test', lease, sink: async (events) => { taken.push(...events.map((e) => e.seq)); }, listened: async () => listening });
    assert.equal(await relay.relayOnce(), 1000, 'passed, for nobody');
    assert.equal(state.cursor, 1000);
    assert.equal(state.read, 0, 'no event was read');
    assert.deepEqual(taken, []);
    listening = true;
    assert.equal(await relay.relayOnce(), 0, 'nothing new since');
  });

  it('a sink that fails leaves the cursor where it was (the batch goes again)', async () => {
    const { state, lease } = outbox(3);
    const relay = createOutboxRelay({ name: 'test', lease, sink: async () => { throw new Error('broker down'); } });
    await assert.rejects(relay.relayOnce(), /broker down/);
    assert.equal(state.cursor, 0);
  });
});
