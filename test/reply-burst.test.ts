/**
 * Replies leave `heldServedMax` a call: a backup that was slow to
 * acknowledge (busy, or compacting its store) may release a hundred replies
 * with one acknowledgement, and a UART's buffer may hold ten requests that
 * a processor refuses or answers from its reply cache; writing each reply
 * is the board's work in that call. Virtual time: the harness gives a core
 * at most one tick and one frame a millisecond here.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import type { ClientReply } from '../firmware/runtime/messages.ts';
import { CorePair } from './helpers/core-pair.ts';

/** Milliseconds over which the replies to 24 requests, held back by a frozen backup, came out. */
function burstSpreadMs(heldServedMax: number): number {
  const pair = new CorePair([ledgerV1('state'), ledgerV1('state')], { heldServedMax });
  pair.runUntil(() => pair.whole);
  for (let i = 0; i < 24; i++) pair.ask(0, `c${i}`, 1, { op: 'open', account: `c${i}` });
  pair.freeze(1, 100);
  const before = pair.replies.length;
  for (let i = 0; i < 24; i++)
    pair.request(0, `c${i}`, 2, { op: 'deposit', account: `c${i}`, amount: 1 });
  pair.run(90);
  if (pair.replies.length !== before) throw new Error('a reply left before the backup held it');
  const times: number[] = [];
  while (pair.replies.length < before + 24) {
    const seen = pair.replies.length;
    pair.run(1);
    for (let n = seen; n < pair.replies.length; n++) times.push(pair.nowMs);
  }
  return Math.max(...times) - Math.min(...times);
}

test('replies released by one acknowledgement leave heldServedMax a call', (t) => {
  const few = burstSpreadMs(2);
  const many = burstSpreadMs(32);
  t.log(`24 replies came out over ${few} ms at 2 a call, ${many} ms at 32`);
  t.true(many <= 1, `${many} ms`);
  t.true(few >= 5, `${few} ms`);
});

const BURST = 10;

/**
 * Hands `board` ten requests read from one piece of the bus, after `ready`;
 * gives how many replies that call sent, and every reply to them once the
 * pair ran on.
 */
function burst(
  heldServedMax: number,
  board: 0 | 1,
  ready: (pair: CorePair) => void,
): { inTheCall: number; all: ClientReply[] } {
  const pair = new CorePair([ledgerV1('state'), ledgerV1('state')], { heldServedMax });
  pair.runUntil(() => pair.whole);
  ready(pair);
  const before = pair.replies.length;
  pair.requests(
    board,
    Array.from({ length: BURST }, (_, i) => ({
      clientId: `c${i}`,
      syncId: 2,
      body: { op: 'deposit', account: `c${i}`, amount: 1 },
    })),
  );
  const inTheCall = pair.replies.length - before;
  pair.run(20);
  return { inTheCall, all: pair.replies.slice(before) };
}

const openAccounts = (pair: CorePair) => {
  for (let i = 0; i < BURST; i++) pair.ask(0, `c${i}`, 1, { op: 'open', account: `c${i}` });
};

test('refusals of a burst of requests leave heldServedMax a call, every one of them', (t) => {
  const few = burst(4, 1, openAccounts);
  const many = burst(32, 1, openAccounts);
  t.is(few.inTheCall, 4);
  t.is(many.inTheCall, BURST);
  for (const { all } of [few, many]) {
    t.deepEqual(
      all.map((r) => r.clientId).sort(),
      Array.from({ length: BURST }, (_, i) => `c${i}`).sort(),
    );
    t.true(all.every((r) => !r.ok && r.error === 'not-primary'));
  }
});

test('replies a burst of retries finds in the reply cache leave heldServedMax a call, as they were first sent', (t) => {
  let first: ClientReply[] = [];
  const answered = (pair: CorePair) => {
    openAccounts(pair);
    for (let i = 0; i < BURST; i++)
      first.push(pair.ask(0, `c${i}`, 2, { op: 'deposit', account: `c${i}`, amount: 1 }));
  };
  const few = burst(4, 0, answered);
  const fewFirst = first;
  first = [];
  const many = burst(32, 0, answered);
  t.is(few.inTheCall, 4);
  t.is(many.inTheCall, BURST);
  const byClient = (replies: ClientReply[]) =>
    [...replies].sort((a, b) => a.clientId.localeCompare(b.clientId));
  t.deepEqual(byClient(few.all), byClient(fewFirst));
  t.deepEqual(byClient(many.all), byClient(first));
});
