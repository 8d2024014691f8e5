/**
 * Requests read from one piece of the field bus's bytes (a UART's buffer
 * may hold ten) are taken `heldServedMax` a call, the rest in the ticks
 * after, in order: running them all in the call that read them was a call
 * of ten requests' work. Virtual time: the harness gives a core at most one
 * tick a millisecond here.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import type { PairEvent } from '../firmware/runtime/outputs.ts';
import { CorePair } from './helpers/core-pair.ts';

const CLIENTS = 10;

function formedPair(heldServedMax: number): CorePair {
  const pair = new CorePair([ledgerV1('state'), ledgerV1('state')], { heldServedMax });
  pair.runUntil(() => pair.whole);
  for (let i = 0; i < CLIENTS; i++) pair.ask(0, `c${i}`, 1, { op: 'open', account: `c${i}` });
  return pair;
}

const executedSyncs = (pair: CorePair): string[] =>
  pair.events
    .filter((e) => e.board === 0 && e.event.kind === 'executed')
    .map((e) => {
      const executed = e.event as Extract<PairEvent, { kind: 'executed' }>;
      return `${executed.clientId}#${executed.syncId}`;
    });

test('ten requests in one piece: four run in the call, the rest in the ticks after, in order', (t) => {
  const pair = formedPair(4);
  const before = executedSyncs(pair).length;
  const deposits = Array.from({ length: CLIENTS }, (_, i) => ({
    clientId: `c${i}`,
    syncId: 2,
    body: { op: 'deposit', account: `c${i}`, amount: 5 },
  }));
  pair.requests(0, deposits);
  t.is(executedSyncs(pair).length - before, 4, 'in the call that read them');
  const repliesBefore = pair.replies.length;
  pair.runUntil(() => pair.replies.length >= repliesBefore + CLIENTS);
  t.deepEqual(
    executedSyncs(pair).slice(before),
    deposits.map((r) => `${r.clientId}#${r.syncId}`),
    'every one ran once, in the order read',
  );
  const answered = pair.replies.slice(repliesBefore);
  t.true(answered.every((r) => r.ok && (r.reply as { ok: boolean }).ok));
});

test('with a share as large as the piece, all run in the call that read them', (t) => {
  const pair = formedPair(32);
  const before = executedSyncs(pair).length;
  pair.requests(
    0,
    Array.from({ length: CLIENTS }, (_, i) => ({
      clientId: `c${i}`,
      syncId: 2,
      body: { op: 'deposit', account: `c${i}`, amount: 5 },
    })),
  );
  t.is(executedSyncs(pair).length - before, CLIENTS);
});
