/**
 * A switch's big checkpoint goes in rounds while the old primary serves
 * (pre-copy), and only the last round, what changed since the one before,
 * crosses with requests held: the hold no longer grows with the state.
 * Two cores back to back in virtual time at 115200 baud.
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { ledgerV1 } from '../firmware/apps/ledger/v1.ts';
import { ledgerV2 } from '../firmware/apps/ledger/v2.ts';
import type { RoleCause } from '../firmware/runtime/outputs.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { CorePair } from './helpers/core-pair.ts';

interface SwitchRun {
  readonly pair: CorePair;
  /** How long each write waited, from its first send to its reply. */
  readonly waits: number[];
  readonly acknowledged: number;
  /** Virtual ms from the pre-copy's start to the last round's acknowledgement. */
  readonly transferMs: number;
}

/**
 * One writer, sending to whichever board serves, while `from` switches to
 * `to` on both boards (the harness plays the boot ROM: a stopped board boots
 * the other image on trial). Returns when the pair is whole on `to`.
 */
function switchUnderLoad(
  from: AnyApp,
  to: AnyApp,
  prepare: (write: (body: unknown) => void) => void,
  body: (i: number) => unknown,
): SwitchRun {
  const pair = new CorePair([from, from], {});
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: to.version });
  pair.runUntil(() => pair.whole, 60_000);
  let syncId = 0;
  const waits: number[] = [];
  let acknowledged = 0;
  const write = (request: unknown) => {
    const id = ++syncId;
    const sentAtMs = pair.nowMs;
    for (;;) {
      const board = ([0, 1] as const).find((b) => pair.cores[b]?.serving === true);
      if (board !== undefined) {
        const answered = pair.replies.length;
        pair.request(board, 'writer', id, request);
        pair.runUntil(() => pair.replies.length > answered || pair.cores[board] == null, 60_000);
        const reply = pair.replies.at(-1);
        if (pair.replies.length > answered && reply?.ok === true) break;
      }
      pair.run(5);
      rebootStopped(pair, to);
    }
    waits.push(pair.nowMs - sentAtMs);
    acknowledged += 1;
  };
  prepare(write);
  waits.length = 0;
  acknowledged = 0;
  const core0 = pair.core(0);
  if (core0.switchToOther(pair.nowMs) !== null) throw new Error('switch refused');
  let i = 0;
  const onTarget = () =>
    pair.whole && pair.cores.every((c) => c?.hello.version === to.version && !c.hello.testMode);
  while (!onTarget() && i < 100_000) {
    write(body(i++));
    pair.run(10);
    rebootStopped(pair, to);
  }
  const causeAt = (cause: RoleCause) =>
    pair.events.find((e) => e.event.kind === 'role' && e.event.cause === cause)?.atMs ?? NaN;
  const transferMs = causeAt('roles-offered') - causeAt('pre-copy-to-new-version');
  return { pair, waits, acknowledged, transferMs };
}

/** A board the switch stopped comes back on the other image, on trial. */
function rebootStopped(pair: CorePair, to: AnyApp): void {
  for (const board of [0, 1] as const) {
    if (pair.cores[board] == null) pair.boot(board, { testMode: true, otherVersion: '' }, to);
  }
}

test('a switch of a big state holds requests for its last round only, not for the whole state', (t) => {
  const v1 = bulkApp(60_000);
  const v2: AnyApp = { ...v1, version: '2.0.0' };
  const run = switchUnderLoad(
    v1,
    v2,
    () => {},
    () => null,
  );
  const longest = Math.max(...run.waits);
  t.log(
    `60 KB: pre-copy to handover ${run.transferMs} ms, longest wait ${longest} ms, ${run.waits.length} writes`,
  );
  // 60 KB cross in over 5 s at 115200; before, every write waited that long.
  t.true(run.transferMs > 5000, `transfer took ${run.transferMs} ms`);
  t.true(longest < run.transferMs / 10, `longest wait ${longest} ms`);
  t.true(run.waits.length > 50, `${run.waits.length} writes during the switch`);
  const state = run.pair.core(0).state as { n: number };
  t.is(state.n, run.pair.core(0).txn);
  t.deepEqual(run.pair.core(1).state, run.pair.core(0).state);
});

for (const direction of ['switch', 'fallback'] as const) {
  test(`a ${direction} of a ledger of 1,000 accounts under load loses nothing and converts every account`, (t) => {
    const v1 = ledgerV1('state');
    const v2 = ledgerV2('state');
    const [from, to] = direction === 'switch' ? [v1, v2] : [v2, v1];
    const accounts = 1000;
    const run = switchUnderLoad(
      from,
      to,
      (write) => {
        for (let a = 0; a < accounts; a++) {
          write({ op: 'open', account: `acct-${a}` });
          write({ op: 'deposit', account: `acct-${a}`, amount: 100 });
        }
      },
      (i) => ({ op: 'deposit', account: `acct-${(i * 7) % accounts}`, amount: 1 }),
    );
    const longest = Math.max(...run.waits);
    t.log(
      `${direction}: pre-copy to handover ${run.transferMs} ms, longest wait ${longest} ms, ${run.waits.length} writes`,
    );
    t.true(longest < run.transferMs / 4, `longest wait ${longest} ms`);
    const { pair } = run;
    t.deepEqual(pair.core(1).state, pair.core(0).state);
    const balances = Object.values(
      (pair.core(0).state as { accounts: Record<string, unknown> }).accounts,
    ).map((a) => (typeof a === 'number' ? a : (a as { balance: number }).balance));
    t.is(balances.length, accounts);
    // Every deposit acknowledged before and during the switch is in the balances, once.
    t.is(
      balances.reduce((sum, b) => sum + b, 0),
      accounts * 100 + run.acknowledged,
    );
  });
}
