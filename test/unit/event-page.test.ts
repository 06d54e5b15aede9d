import { strict as assert } from 'node:assert';

import type { StoredEvent } from '../../src/domain/events/domain-event.js';
import { readEventPage, SCAN_WINDOW } from '../../src/domain/events/event-page.js';
import type { EventFilter } from '../../src/domain/ports/event-repository.js';

/** An outbox of `count` events, one in every `labEvery` concerning lab-rare; counts the positions each read looked through. */
function outbox(count: number, labEvery: number) {
  const events: StoredEvent[] = Array.from({ length: count }, (_, i) => ({
    seq: i + 1, id: `e${i + 1}`, type: 'user.updated', time: new Date(0), actor: 'test', subject: `user:${i}`,
    labIds: (i + 1) % labEvery === 0 ? ['lab-rare'] : ['lab-common'], data: {},
  }));
  const scanned: number[] = [];
  return {
    scanned,
    async latestSeq() { return events.length; },
    async after(seq: number, filter: EventFilter, limit: number, upTo = Infinity) {
      const window = events.filter((e) => e.seq > seq && e.seq <= upTo);
      scanned.push(window.length);
      return window.filter((e) => filter.labId === undefined || e.labIds.includes(filter.labId)).slice(0, limit);
    },
  };
}

describe('readEventPage: a filtered feed moves on', () => {
  it('a read that finds nothing moves the cursor to the newest position, so the next read scans nothing again', async () => {
    const repo = outbox(500, 1_000_000);
    const first = await readEventPage(repo, 0, { labId: 'lab-rare' }, 100);
    assert.deepEqual(first, { events: [], next: 500 });
    assert.deepEqual(await readEventPage(repo, first.next, { labId: 'lab-rare' }, 100), { events: [], next: 500 });
    assert.deepEqual(repo.scanned, [500], 'the second read found the cursor at the newest position and scanned nothing');
  });

  it('looks through at most SCAN_WINDOW positions per read, and a full page continues after its last event', async () => {
    const repo = outbox(SCAN_WINDOW * 2 + 5, 7);
    const first = await readEventPage(repo, 0, { labId: 'lab-rare' }, 10);
    assert.deepEqual(first.events.map((e) => e.seq), [7, 14, 21, 28, 35, 42, 49, 56, 63, 70]);
    assert.equal(first.next, 70);
    const sparse = await readEventPage(repo, 0, { labId: 'lab-rare' }, 100_000);
    assert.equal(sparse.next, SCAN_WINDOW);
    assert.ok(sparse.events.every((e) => e.seq <= SCAN_WINDOW));
    assert.ok(repo.scanned.every((n) => n <= SCAN_WINDOW));
    // Reading on from each `next` reaches every matching event once.
    const seen: number[] = [];
    for (let cursor = 0, rounds = 0; rounds < 10; rounds += 1) {
      const page = await readEventPage(repo, cursor, { labId: 'lab-rare' }, 1000);
      seen.push(...page.events.map((e) => e.seq));
      if (page.next === cursor) break;
      cursor = page.next;
    }
    assert.equal(seen.length, Math.floor((SCAN_WINDOW * 2 + 5) / 7));
    assert.equal(new Set(seen).size, seen.length);
  });
});
