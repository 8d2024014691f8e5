/**
 * A retry of a request whose reply still waits for the backup gets the
 * same answer, and waits for the same acknowledgement
 * (`CheckpointStream.addRetry`). A registration can run twice, the second
 * time once the reply cache forgot the session the first began, and both
 * runs can wait at once: the retry waits for the run whose answer it gets.
 */
import test from 'ava';
import { CheckpointStream } from '../firmware/runtime/checkpoint-stream.ts';
import type { CheckpointEntry, ClientReply } from '../firmware/runtime/messages.ts';

/** Client k1's registration (sync id 0), run as transaction `txn`. */
const registration = (txn: number): CheckpointEntry => ({
  txn,
  clientId: 'k1',
  syncId: 0,
  update: null,
});
const registered = (txn: number): ClientReply => ({
  clientId: 'k1',
  syncId: 0,
  ok: true,
  reply: null,
  txn,
});

test('a retry waits for the batch of the run whose answer it carries, not an earlier run of the same request', (t) => {
  const stream = new CheckpointStream();
  stream.add(registration(1), 20, registered(1));
  let seq = 0;
  stream.send(() => ++seq, 32); // the first run's batch: sequence 1
  stream.add(registration(2), 20, registered(2));
  t.true(stream.addRetry(registered(2)), 'the second run still waits');
  t.deepEqual(
    stream.acknowledged(1).map((r) => (r.ok ? r.txn : null)),
    [1],
    'the first batch acknowledged releases only the first run',
  );
  stream.send(() => ++seq, 32); // the second run's batch: sequence 2
  t.deepEqual(
    stream.acknowledged(2).map((r) => (r.ok ? r.txn : null)),
    [2, 2],
    'the second run and its retry go together',
  );
});

test('a retry whose run was acknowledged already is not tied to a later run', (t) => {
  const stream = new CheckpointStream();
  stream.add(registration(1), 20, registered(1));
  stream.send(() => 1, 32);
  stream.acknowledged(1);
  stream.add(registration(2), 20, registered(2));
  t.false(stream.addRetry(registered(1)), 'its answer goes at once');
});
