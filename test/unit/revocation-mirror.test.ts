import { strict as assert } from 'node:assert';

import type { FeedPosition, LeaseRenewal, RevocationBroadcast, RevocationBroadcastListener } from '../../src/domain/ports/revocation-broadcast.js';
import type { RevocationEntry } from '../../src/domain/ports/store.js';
import { createRevocationMirror } from '../../src/oidc/revocation-mirror.js';

const entry = (value: string): RevocationEntry => ({ kind: 'jti', value, expiresAt: Math.floor(Date.now() / 1000) + 600 });
const settle = () => new Promise((resolve) => setImmediate(resolve));
async function eventually(condition: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached within 5 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The broadcast as a follower sees it, driven by the test: additions, renewals' answers, the durable list. */
function fakeBroadcast() {
  const state = { epoch: 'e1', seq: 0, renewal: 'renewed' as LeaseRenewal, positions: 0, renewals: [] as FeedPosition[] };
  let listener: RevocationBroadcastListener | undefined;
  const broadcast: RevocationBroadcast = {
    async follow(l) { listener = l; return async () => { listener = undefined; }; },
    async position() { state.positions += 1; return { epoch: state.epoch, seq: state.seq }; },
    async announce() { throw new Error('not used by a follower'); },
    async renew(_id, at) { state.renewals.push({ ...at }); return state.renewal; },
    async leave() {},
    async unsettled() { return 0; },
    async restart() {},
  };
  return { broadcast, state, deliver: (seq: number, entries: RevocationEntry[]) => listener!.revoked(seq, entries), listener: () => listener! };
}

describe('unit: a process\'s own copy of the revocations (revocation-mirror.ts)', () => {
  let clock = 0;
  const mirrorOf = (fake: ReturnType<typeof fakeBroadcast>, live: RevocationEntry[] = [], maxEntries = 100) => createRevocationMirror({
    broadcast: fake.broadcast, live: async () => live, leaseMs: 2000, marginMs: 250, maxEntries, onError: () => {}, now: () => clock,
  });
  beforeEach(() => { clock = 0; });

  it('answers from the loaded list and the additions that follow, while its lease runs by its own clock less the margin', async () => {
    const fake = fakeBroadcast();
    const mirror = mirrorOf(fake, [entry('old')]);
    await mirror.start();
    assert.equal(mirror.check([entry('old')]), true);
    assert.equal(mirror.check([entry('new')]), false);
    fake.deliver(1, [entry('new')]);
    await settle();
    assert.equal(mirror.check([entry('new')]), true);
    assert.deepEqual(fake.state.renewals.at(-1), { epoch: 'e1', seq: 1 }, 'applying an addition renews the lease: the acknowledgement');
    clock = 1749;
    assert.equal(mirror.check([entry('new')]), true);
    clock = 1750;
    assert.equal(mirror.check([entry('new')]), undefined, 'lease over (2000 ms less 250): ask the shared copy');
    await mirror.stop();
  });

  it('keeps additions that arrive while it loads and applies those newer than the list it loaded', async () => {
    const fake = fakeBroadcast();
    let release: () => void = () => {};
    fake.state.seq = 5;
    const mirror = createRevocationMirror({
      broadcast: fake.broadcast, leaseMs: 2000, marginMs: 250, maxEntries: 100, onError: () => {}, now: () => clock,
      live: () => new Promise((resolve) => { release = () => resolve([entry('in-list')]); }),
    });
    const started = mirror.start();
    await settle();
    fake.deliver(5, [entry('already-in-list')]);
    fake.deliver(6, [entry('during-load')]);
    release();
    await started;
    assert.equal(mirror.check([entry('during-load')]), true);
    assert.equal(mirror.check([entry('already-in-list')]), false, 'number 5 was in the list it loaded (here it is not, so it is not applied twice)');
    assert.deepEqual(fake.state.renewals.at(-1), { epoch: 'e1', seq: 6 });
    await mirror.stop();
  });

  it('sets its copy aside and loads again on a gap in the numbering, another epoch, a broken subscription, or renewals refused as behind', async () => {
    const fake = fakeBroadcast();
    const mirror = mirrorOf(fake);
    await mirror.start();
    const loads = () => fake.state.positions;
    const following = () => mirror.check([entry('x')]) === false;

    fake.deliver(2, [entry('skipped-one')]);
    assert.equal(mirror.check([entry('x')]), undefined, 'a gap: set aside at once');
    await eventually(following);
    assert.equal(loads(), 2);

    fake.state.renewal = 'other-epoch';
    fake.deliver(1, [entry('y')]);
    await eventually(() => loads() >= 3);
    assert.equal(mirror.check([entry('x')]), undefined, 'another epoch: set aside, loading again (spaced, not in a tight loop)');
    fake.state.renewal = 'renewed';
    await eventually(following);

    fake.listener().interrupted();
    assert.equal(mirror.check([entry('x')]), undefined, 'subscription broken: set aside');
    fake.listener().resumed();
    await eventually(following);

    const before = loads();
    fake.state.renewal = 'behind';
    fake.state.seq = 99;
    fake.deliver(1, [entry('z')]);
    await settle();
    assert.equal(loads(), before, 'an acknowledgement refused as behind is no doubt by itself (a burst)');
    await eventually(() => loads() > before, 'three periodic renewals refused as behind: loaded again');
    await mirror.stop();
  });

  it('stands aside for good when the revocations outnumber its bound', async () => {
    const fake = fakeBroadcast();
    const mirror = mirrorOf(fake, [entry('a'), entry('b')], 2);
    await mirror.start();
    assert.equal(mirror.check([entry('a')]), true);
    fake.deliver(1, [entry('c')]);
    assert.equal(mirror.check([entry('a')]), undefined);
    fake.deliver(2, [entry('d')]);
    await settle();
    assert.equal(mirror.check([entry('a')]), undefined, 'no reload, nothing kept');
    await mirror.stop();
  });
});
