/**
 * A burst of requests bigger than the line carries soon: past
 * `checkpointBacklogMsMax` of checkpoints waiting for the backup, the
 * primary refuses new requests busy (the client retries) instead of
 * answering them seconds later. Seconds-late answers let a crowd of
 * clients push every session out of the reply cache before its answer
 * came, and then no request was acknowledged for 2 s (simulator seed 1234,
 * replay: a crowd of 360 clients while a backup rejoined at 115200).
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import type { PairConfig } from '../firmware/runtime/config.ts';
import type { ClientReply } from '../firmware/runtime/messages.ts';
import { CorePair } from './helpers/core-pair.ts';

const CLIENTS = 200;

/** CLIENTS registered clients open an account each, one every 2 ms, at 9600 baud: each answer and how long it took. */
function burst(config: Partial<PairConfig>): { reply: ClientReply; waitedMs: number }[] {
  const pair = new CorePair([ledgerV1('state'), ledgerV1('state')], { baud: 9600, ...config });
  pair.runUntil(() => pair.whole);
  // The clients registered beforehand, one at a time: a registration is a transaction too.
  for (let i = 0; i < CLIENTS; i++) pair.ask(0, `c${i}`, 0, null);
  const registrations = pair.replies.length;
  const sentMs = new Map<string, number>();
  const answers: { reply: ClientReply; waitedMs: number }[] = [];
  const collect = () => {
    while (registrations + answers.length < pair.replies.length) {
      const reply = pair.replies[registrations + answers.length] as ClientReply;
      answers.push({ reply, waitedMs: pair.nowMs - (sentMs.get(reply.clientId) ?? Number.NaN) });
    }
  };
  for (let i = 0; i < CLIENTS; i++) {
    sentMs.set(`c${i}`, pair.nowMs);
    pair.request(0, `c${i}`, 1, { op: 'open', account: `a${i}` });
    pair.run(2);
    collect();
  }
  pair.runUntil(() => {
    collect();
    return answers.length === CLIENTS;
  }, 300_000);
  return answers;
}

test('a burst the line cannot carry soon is partly refused busy, and what runs is answered far sooner than without the bound', (t) => {
  const answers = burst({});
  const busy = answers.filter(
    ({ reply }) => !reply.ok && reply.error === 'busy' && reply.why.code === 'checkpoints-waiting',
  );
  const ran = answers.filter(({ reply }) => reply.ok);
  t.true(busy.length > 0, 'some are refused busy');
  t.true(ran.length > 0, 'some run');
  t.is(busy.length + ran.length, CLIENTS, 'every other answer is one of the two');

  const unbounded = burst({ checkpointBacklogMsMax: Number.POSITIVE_INFINITY });
  t.true(
    unbounded.every(({ reply }) => reply.ok),
    'without the bound all run',
  );
  const slowest = (list: typeof answers) => Math.max(...list.map(({ waitedMs }) => waitedMs));
  t.log(
    `slowest answer that ran: ${slowest(ran)} ms with the bound, ${slowest(unbounded)} ms without`,
  );
  t.true(slowest(ran) * 4 < slowest(unbounded));
});

test('past pendingRepliesMax replies waiting for the backup, a new request is refused busy (replies-waiting) and runs once retried', (t) => {
  const pair = new CorePair([ledgerV1('state'), ledgerV1('state')], { pendingRepliesMax: 2 });
  pair.runUntil(() => pair.whole);
  for (let i = 0; i < 3; i++) pair.ask(0, `c${i}`, 0, null);
  const before = pair.replies.length;
  // The backup's acknowledgements are held back for a moment, far shorter than a suspicion.
  for (const path of pair.cut) path[1] = true;
  for (let i = 0; i < 3; i++) pair.request(0, `c${i}`, 1, { op: 'open', account: `a${i}` });
  t.like(pair.replies.slice(before), [
    { clientId: 'c2', ok: false, error: 'busy', why: { code: 'replies-waiting' } },
  ]);
  for (const path of pair.cut) path[1] = false;
  pair.runUntil(() => pair.replies.length === before + 3);
  t.like(pair.ask(0, 'c2', 1, { op: 'open', account: 'a2' }), { ok: true });
  t.is(pair.replies.filter((r) => r.ok && r.syncId === 1).length, 3);
});
