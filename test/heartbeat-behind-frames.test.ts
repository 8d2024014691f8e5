/**
 * A heartbeat is due an interval after the partner has the last frame, not
 * an interval after that frame went to the UART. Counted from the hand-over,
 * a frame longer than the interval (most frames at 9600 baud) had a
 * heartbeat queue behind each one, and the checkpoints behind those: at
 * 9600 baud 200 opens were all answered after 31 to 69 s instead of 3 s.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { pathLineUse } from '../firmware/runtime/line-use.ts';
import { CorePair } from './helpers/core-pair.ts';

const CLIENTS = 200;

test('at 9600 baud, heartbeats take a small share of a busy line and the checkpoints keep the rest', (t) => {
  // No backlog bound: every open runs, so the line carries the whole burst.
  const pair = new CorePair([ledgerV1('state'), ledgerV1('state')], {
    baud: 9600,
    checkpointBacklogMsMax: Number.POSITIVE_INFINITY,
  });
  pair.runUntil(() => pair.whole);
  for (let i = 0; i < CLIENTS; i++) pair.ask(0, `c${i}`, 0, null);
  const primary = pair.cores.findIndex((core) => core?.role === 'primary') as 0 | 1;
  const before = pair.core(primary).lineUse.map(pathLineUse);
  const startMs = pair.nowMs;
  const replies = pair.replies.length;
  for (let i = 0; i < CLIENTS; i++) {
    pair.request(primary, `c${i}`, 1, { op: 'open', account: `a${i}` });
    pair.run(2);
  }
  pair.runUntil(() => pair.replies.length === replies + CLIENTS, 300_000);
  const tookMs = pair.nowMs - startMs;
  const after = pair.core(primary).lineUse.map(pathLineUse);

  let bare = 0;
  let all = 0;
  after.forEach((use, path) => {
    for (const kind of ['checkpoint', 'other', 'resent', 'bare'] as const) {
      const bytes = use[kind].bytes - (before[path]?.[kind].bytes ?? 0);
      all += bytes;
      if (kind === 'bare') bare += bytes;
    }
  });
  t.log(
    `${CLIENTS} opens answered in ${tookMs} ms; acknowledgements and heartbeats ${bare} of ${all} bytes the primary sent (${((100 * bare) / all).toFixed(1)}%)`,
  );
  t.true(pair.replies.slice(replies).every((reply) => reply.ok));
  t.true(bare < all / 10, 'acknowledgements and heartbeats take under a tenth of the line');
});
