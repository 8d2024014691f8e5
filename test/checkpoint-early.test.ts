/**
 * Entries answered before a joiner held them ("early": it could not take
 * over yet) must reach it ahead of the last chunk of its big checkpoint,
 * and it counts as a backup only once it acknowledged them
 * (`CheckpointStream.earlyUnsent`, `earlyAcknowledged`). The mark names the
 * newest such entry, and only moves on: replies that waited for the joiner
 * and go when it falls silent may be older than entries answered early.
 */
import test from 'ava';
import { CheckpointStream } from '../firmware/runtime/checkpoint-stream.ts';
import type { CheckpointEntry, ClientReply } from '../firmware/runtime/messages.ts';

const entry = (txn: number): CheckpointEntry => ({
  txn,
  clientId: `c${txn}`,
  syncId: 1,
  update: null,
});
const reply = (txn: number): ClientReply => ({
  clientId: `c${txn}`,
  syncId: 1,
  ok: true,
  reply: null,
  txn,
});

test('replies released in a silence do not hide newer entries answered early', (t) => {
  const stream = new CheckpointStream();
  let seq = 0;
  stream.add(entry(1), 20, reply(1)); // waits for the joiner
  stream.send(() => ++seq, 32); // sequence 1
  stream.add(entry(2), 20, null); // answered early, not sent yet
  t.true(stream.earlyUnsent);
  t.deepEqual(
    stream.releaseReplies().map((r) => (r.ok ? r.txn : null)),
    [1],
    'the joiner falls silent: the reply that waited goes',
  );
  t.true(stream.earlyUnsent, 'txn 2 still has to go ahead of the last chunk');
  stream.send(() => ++seq, 32); // sequence 2
  t.false(stream.earlyUnsent);
  t.false(stream.earlyAcknowledged(1), 'not a backup on the acknowledgement of txn 1 alone');
  t.true(stream.earlyAcknowledged(2));
});

test('replies released in a silence that are newer than every early entry move the mark on', (t) => {
  const stream = new CheckpointStream();
  stream.add(entry(1), 20, null);
  stream.add(entry(2), 20, reply(2));
  stream.releaseReplies();
  let room = 1;
  stream.send(() => (room-- > 0 ? 1 : null), 1); // the channel takes txn 1 alone: sequence 1
  t.true(stream.earlyUnsent, 'txn 2, answered in the silence, is not sent yet');
  stream.send(() => 2, 1);
  t.false(stream.earlyAcknowledged(1));
  t.true(stream.earlyAcknowledged(2));
});

test('a retry waiting among them does not hide a newer entry not yet sent', (t) => {
  // Seed 233085 (state, six fault groups): a retry's copy joins the waiting
  // replies at the end, so the last of them was not the newest transaction.
  const stream = new CheckpointStream();
  let room = 1;
  stream.add(entry(1), 20, reply(1));
  stream.add(entry(2), 20, reply(2));
  stream.send(() => (room-- > 0 ? 1 : null), 1); // the channel takes txn 1 alone: sequence 1
  t.true(stream.addRetry(reply(1)), 'a retry of txn 1 waits with it');
  stream.releaseReplies();
  t.true(stream.earlyUnsent, 'txn 2 still has to go ahead of the last chunk');
});
