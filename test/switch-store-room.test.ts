/**
 * A switch whose new version could not keep the pair's state in its store
 * (issue 10, "a named limit for everything"). Converted by the new
 * version, a state the old version kept within the store's room can take
 * more bytes than the room gives. The new version used to take it anyway:
 * in campaign seed 563 (state model, retained) it took the roles with its
 * store past its room, and once the reply cache grew its snapshot past
 * what an area holds it stopped at every compaction and started again,
 * without end; with this test's tiny store it stopped at its first
 * compaction and the switch failed for a restart. Now the new version
 * refuses the big checkpoint, and the switch fails at step f saying why,
 * with the old version serving on. It refuses at the pre-copy's first
 * round, not after the last one with requests held.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import { ledgerV1, ledgerV2 } from '../firmware/apps/ledger/index.ts';
import { reasonText } from '../firmware/reasons.ts';
import { switchingPair } from './helpers/switching-pair.ts';
import { TINY_STORE } from './helpers/tiny-store.ts';

const OPENS_MAX = 200;
const LIMIT_MS = 60_000;

for (const model of ['state', 'replay'] as const) {
  test(`${model} model: a switch to a version whose converted state outgrows the store fails at f, and the old version serves on`, (t) => {
    const from = ledgerV1(model);
    const to = ledgerV2(model);
    const run = switchingPair(from, to, { heartbeatIntervalMs: 20 }, [
      new RetentiveMemory(TINY_STORE),
      new RetentiveMemory(TINY_STORE),
    ]);
    const { pair } = run;
    // Fill the store's room on the old version, up to its first refusal.
    let syncId = 0;
    let full = false;
    for (let n = 1; n <= OPENS_MAX && !full; n++) {
      full = !pair.ask(0, 'c', ++syncId, { op: 'open', account: `acct-${n}` }).ok;
    }
    t.true(full, `the store was full within ${OPENS_MAX} opens`);

    t.is(pair.core(0).switchToOther(pair.nowMs), null, 'the switch starts');
    const failed = () =>
      pair.eventsOf('switch').find((e) => e.kind === 'switch' && !e.ok && e.step !== 'a');
    run.runUntil(() => failed() !== undefined, LIMIT_MS);
    const failure = failed();
    if (failure?.kind !== 'switch' || failure.why === undefined) return t.fail('no failed step');
    t.is(failure.step, 'f');
    t.like(failure.why, { code: 'could-not-take', why: { code: 'no-room-converted' } });
    t.regex(reasonText(failure.why), /converted to this version would take \d+ bytes/);
    t.false(
      pair.events.some(
        (e) => e.event.kind === 'role' && e.event.cause === 'big-checkpoint-to-new-version',
      ),
      'refused at the first round, before requests were held for a last one',
    );

    // The pair re-forms on the old version and serves: nothing was lost, nothing stops again.
    run.runUntil(
      () => pair.whole && pair.cores.every((c) => c?.hello.version === from.version),
      LIMIT_MS,
    );
    const deposit = pair.ask(0, 'c', ++syncId, { op: 'deposit', account: 'acct-1', amount: 5 });
    t.true(deposit.ok, JSON.stringify(deposit));
    t.deepEqual(pair.eventsOf('store-refused'), [], 'no store refused its snapshot');
  });
}
