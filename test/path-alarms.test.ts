/**
 * One path failing alone is an alarm (never a takeover), once the partner
 * stays up on another path: a partner that resets or loses power drops DSR
 * on its paths a poll apart, and every switch resets both boards in turn.
 * Virtual time, two paths, DSR wired.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { CorePair } from './helpers/core-pair.ts';

/** The path-down alarms `board` raised: which path, and when. */
function pathAlarms(pair: CorePair, board: 0 | 1): { path: number; atMs: number }[] {
  return pair.events.flatMap(({ board: b, atMs, event }) =>
    b === board && event.kind === 'alarm' && event.why.code === 'path-down'
      ? [{ path: event.why.path, atMs }]
      : [],
  );
}

test('a partner whose paths go down a millisecond apart, as a reset drops DSR, raises no path alarm', (t) => {
  const app = ledgerV1('state');
  const pair = new CorePair([app, app]);
  pair.runUntil(() => pair.whole);
  pair.unplug(0);
  pair.run(1);
  pair.powerOff(1);
  pair.unplug(0, false);
  pair.run(1000);
  t.deepEqual(pathAlarms(pair, 0), []);
  pair.boot(1);
  pair.runUntil(() => pair.whole);
  t.deepEqual(pathAlarms(pair, 0), []);
});

test('a path that stays down while the partner is heard on the other is an alarm on both sides, within three heartbeats', (t) => {
  const app = ledgerV1('state');
  const pair = new CorePair([app, app]);
  pair.runUntil(() => pair.whole);
  const unpluggedAtMs = pair.nowMs;
  pair.unplug(1);
  pair.run(1000);
  t.true(pair.whole, 'one path failing alone is never a takeover');
  for (const board of [0, 1] as const) {
    const alarms = pathAlarms(pair, board);
    t.deepEqual(
      alarms.map((a) => a.path),
      [1],
    );
    const afterMs = (alarms[0]?.atMs ?? Infinity) - unpluggedAtMs;
    t.true(afterMs <= 3 * pair.configs[board].heartbeatIntervalMs, `P${board + 1}: ${afterMs} ms`);
  }
});
