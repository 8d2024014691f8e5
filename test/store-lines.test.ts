/**
 * `tandem status`'s store lines say when a retained app's state has filled
 * the room its store gives it: a typed fact from the board (`durable.room`),
 * shown in the table's store column and in a line of its own; so does a
 * store that failed at boots in a row.
 */
import test from 'ava';
import { storeCell, storeLines } from '../host/cli/store-lines.ts';
import { LAB_STORE } from '../host/lab/lab.ts';
import { boardStatus } from './helpers/board-status.ts';

function retained(full: boolean) {
  const status = boardStatus(1, 'primary', {
    txn: 180,
    durable: {
      refused: false,
      held: { txn: 180, term: 4 },
      position: { area: 1, generation: 3, usedBytes: 150_000, areaBytes: 524_288 },
      room: { snapshotBytes: 130_000, snapshotBytesMax: 130_944, full },
    },
  });
  const sincePowerOn = { writes: 0, bytesWritten: 0, erasesByBlock: [] };
  return { ...status, store: { geometry: LAB_STORE, sincePowerOn } };
}

test('a full store is FULL in the table and says what is refused', (t) => {
  t.is(storeCell(retained(true)), 'txn 180 t4 FULL');
  t.is(storeCell(retained(false)), 'txn 180 t4');
  const lines = storeLines([retained(true)]);
  t.regex(
    lines.join('\n'),
    /room: a snapshot of the state may take 127\.9 KiB; at most 127\.0 KiB now; FULL: requests that would grow the state are refused \(store-full\), the rest run/,
  );
  t.notRegex(storeLines([retained(false)]).join('\n'), /FULL/);
});

test('a store that failed at boots in a row says so in the table', (t) => {
  t.is(storeCell({ ...retained(false), pair: null, storeFailedBoots: 3 }), 'FAILED at 3 boots');
});
