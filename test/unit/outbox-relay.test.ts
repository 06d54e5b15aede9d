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
  const state = { cursor: 0, read: 0, leases: 0, held: false };
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
    state.leases += 1;
    if (state.held) return undefined;
    const { afterSeq, result } = await work(state.cursor, repos);
    state.cursor = afterSeq;
    return result;
  };
  const add = (n: number) => {
    for (let i = 0; i < n; i++) events.push({ ...events[0]!, seq: events.length + 1, id: `e${events.length + 1}` });
  };
  return { state, lease, add, newestSeq: async () => events.length };
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

  it('skips the lease while no event is newer than the cursor it last committed; goes again for a new event, a lease another node held, or after a while', async () => {
    const { state, lease, add, newestSeq } = outbox(3);
    let clock = 0;
    const taken: number[] = [];
    const relay = createOutboxRelay({ name: 'test', lease, newestSeq, now: () => clock, fullPassEveryMs: 10_000, sink: async (events) => { taken.push(...events.map((e) => e.seq)); } });
    assert.equal(await relay.relayOnce(), 3);
    assert.equal(state.leases, 1);
    assert.equal(await relay.relayOnce(), 0);
    assert.equal(await relay.relayOnce(), 0);
    assert.equal(state.leases, 1, 'nothing newer: no lease transaction');
    add(2);
    assert.equal(await relay.relayOnce(), 2);
    assert.deepEqual(taken, [1, 2, 3, 4, 5]);
    assert.equal(state.leases, 2);
    clock += 10_000;
    assert.equal(await relay.relayOnce(), 0);
    assert.equal(state.leases, 3, 'a full pass at least every fullPassEveryMs');
    state.held = true;
    add(1);
    assert.equal(await relay.relayOnce(), 0, 'another node holds the lease');
    state.held = false;
    state.cursor = 6; // that node relayed event 6
    assert.equal(await relay.relayOnce(), 0);
    assert.equal(state.leases, 5, 'after a lease it did not get, the relay cannot know the cursor: a full pass');
    assert.equal(await relay.relayOnce(), 0);
    assert.equal(state.leases, 5);
  });
});
