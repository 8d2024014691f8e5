/**
 * The requests held during a switch cross to the new version in batches
 * that each fit a frame, as few as fit.
 */
import test from 'ava';
import { CHECKPOINT_BATCH_BYTES_MAX } from '../firmware/runtime/checkpoint-stream.ts';
import type { HeldRequest } from '../firmware/runtime/messages.ts';
import { heldBatches } from '../firmware/runtime/switch-procedure.ts';
import { encodeCbor } from '../firmware/wire/cbor.ts';

const request = (syncId: number, padBytes: number): HeldRequest => ({
  clientId: 'c',
  syncId,
  body: 'x'.repeat(padBytes),
  arrivedMs: 0,
});

const bytesOf = (batch: readonly HeldRequest[]) =>
  batch.reduce((sum, r) => sum + encodeCbor(r).length, 0);

test('small held requests share a batch, and every batch fits a frame', (t) => {
  const held = Array.from({ length: 100 }, (_, i) => request(i + 1, 20));
  const batches = heldBatches(held);
  t.deepEqual(batches.flat(), held, 'each once, in order');
  t.true(batches.length <= Math.ceil(bytesOf(held) / CHECKPOINT_BATCH_BYTES_MAX) + 1);
  for (const batch of batches) t.true(bytesOf(batch) <= CHECKPOINT_BATCH_BYTES_MAX);
});

test('requests of more than half a batch each go one to a batch', (t) => {
  const big = Math.floor(CHECKPOINT_BATCH_BYTES_MAX * 0.6);
  const held = [request(1, big), request(2, big), request(3, 10)];
  const batches = heldBatches(held);
  t.deepEqual(batches.flat(), held);
  for (const batch of batches) t.true(bytesOf(batch) <= CHECKPOINT_BATCH_BYTES_MAX);
  t.is(batches.length, 2, 'the small one rides with the second');
});

test('batches of at most a bound, and a call takes batches up to its share, then stops', (t) => {
  const held = Array.from({ length: 100 }, (_, i) => request(i + 1, 20));
  const size = bytesOf([held[0] as HeldRequest]);
  const batches = heldBatches(held, 512, 1024);
  t.deepEqual(batches.flat(), held.slice(0, batches.flat().length), 'from the front, in order');
  for (const batch of batches) t.true(bytesOf(batch) <= 512);
  const taken = bytesOf(batches.flat());
  t.true(taken >= 1024 && taken < 1024 + size, `${taken} bytes taken for a share of 1024`);
  t.is(heldBatches([request(1, 2000)], 512, 100).flat().length, 1, 'at least one, however large');
});
