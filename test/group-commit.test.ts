/**
 * Group commit on the checkpoint stream (`CheckpointStream.due`): entries
 * gather while a batch is in flight and the line is busy, and go at once
 * when nothing is in flight, the line is idle, or a full batch has
 * gathered. A batch that waited past full would hold its replies for a
 * round trip it need not.
 */
import test from 'ava';
import { CheckpointStream } from '../firmware/runtime/checkpoint-stream.ts';
import type { CheckpointEntry } from '../firmware/runtime/messages.ts';

const ENTRIES_MAX = 4;

function add(stream: CheckpointStream, txn: number): void {
  const entry: CheckpointEntry = { txn, clientId: 'c', syncId: txn, update: null };
  stream.add(entry, 10, { clientId: 'c', syncId: txn, ok: true, reply: null, txn });
}

test('entries go at once with nothing in flight, and gather behind a batch in flight until a full batch or an idle line', (t) => {
  const stream = new CheckpointStream();
  t.false(stream.due(0, true, ENTRIES_MAX), 'nothing to send');
  add(stream, 1);
  t.true(stream.due(0, false, ENTRIES_MAX), 'nothing in flight');
  stream.send(() => 1, ENTRIES_MAX);
  for (let txn = 2; txn <= ENTRIES_MAX; txn++) {
    add(stream, txn);
    t.false(stream.due(0, false, ENTRIES_MAX), `${txn - 1} gathered behind the batch in flight`);
    t.true(stream.due(0, true, ENTRIES_MAX), 'an idle line takes them');
  }
  add(stream, ENTRIES_MAX + 1);
  t.true(
    stream.due(0, false, ENTRIES_MAX),
    'a full batch goes without waiting for the acknowledgement',
  );
  t.true(stream.due(1, false, ENTRIES_MAX - 1 + 10), 'once the batch in flight is acknowledged');
});
