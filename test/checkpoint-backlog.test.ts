/**
 * The checkpoint stream's backlog (what a new request would queue behind,
 * `CheckpointStream.backlogBytes`): entries count from the moment they run
 * until the partner acknowledges the batch that carried them, and nothing
 * counts once no acknowledgement can come. A backlog that never shrank
 * would turn every request away as busy for good.
 */
import test from 'ava';
import { CheckpointStream } from '../firmware/runtime/checkpoint-stream.ts';
import type { CheckpointEntry, ClientReply } from '../firmware/runtime/messages.ts';

/** A stream holding entries of txns 1..count, `bytes` each, their replies waiting. */
function streamOf(count: number, bytes: number): CheckpointStream {
  const stream = new CheckpointStream();
  for (let txn = 1; txn <= count; txn++) {
    const entry: CheckpointEntry = { txn, clientId: `c${txn}`, syncId: 1, update: null };
    const reply: ClientReply = { clientId: `c${txn}`, syncId: 1, ok: true, reply: null, txn };
    stream.add(entry, bytes, reply);
  }
  return stream;
}

/** Sends every queued entry, `perBatch` to a batch, as channel sequences from `firstSeq` on. */
function sendAll(stream: CheckpointStream, perBatch: number, firstSeq = 1): void {
  let seq = firstSeq - 1;
  stream.send(() => ++seq, perBatch);
}

test('entries count from running until their batch is acknowledged, batch by batch', (t) => {
  const stream = streamOf(6, 100);
  t.is(stream.backlogBytes, 600, 'unsent');
  sendAll(stream, 2); // batches 1, 2, 3 of two entries each
  t.is(stream.backlogBytes, 600, 'sent, not acknowledged');
  stream.acknowledged(1);
  t.is(stream.backlogBytes, 400);
  t.is(stream.acknowledged(3).length, 6, 'every reply goes');
  t.is(stream.backlogBytes, 0);
  t.is(stream.acknowledged(3).length, 0, 'an old acknowledgement again changes nothing');
  t.is(stream.backlogBytes, 0);
});

test('nothing sent counts once the channel starts over, or once no backup will hold it', (t) => {
  const restarted = streamOf(4, 100);
  sendAll(restarted, 2);
  restarted.resetSequence();
  t.is(restarted.backlogBytes, 0);

  const alone = streamOf(4, 100);
  sendAll(alone, 2);
  t.is(alone.releaseAll().length, 4);
  t.is(alone.backlogBytes, 0);
  // Sequence numbers go on after a release: a later acknowledgement counts only what it covers.
  const later = streamOf(2, 50);
  sendAll(later, 1);
  t.is(later.backlogBytes, 100);
  later.acknowledged(1);
  t.is(later.backlogBytes, 50);
});
