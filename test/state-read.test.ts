/**
 * The `state` management op, in-process: a state of tens of kilobytes (a
 * ledger of 1,500 accounts) goes to the host in chunks whose answers each fit
 * one frame; the read is of one snapshot even when the state changes in
 * between; a read whose snapshot is gone starts again; and a state above
 * the named limit is refused with a code, not a fault.
 */
import test from 'ava';
import {
  type ManagementReply,
  type PairStateSnapshot,
  parseManagementRequest,
  STATE_CHUNK_MAX_BYTES,
  STATE_READ_MAX_BYTES,
  STATE_REPLY_ENVELOPE_MAX_BYTES,
} from '../boards/management.ts';
import { StateReads } from '../boards/state-read.ts';
import { MAX_ACCOUNT_ID_LENGTH } from '../firmware/apps/ledger/account-id.ts';
import { decodeCbor, encodeCbor } from '../firmware/wire/cbor.ts';
import { encodeFrame, FRAME_PAYLOAD_MAX_BYTES, FrameDecoder } from '../firmware/wire/frame.ts';
import { type BoardClient, BoardRefusedError } from '../host/pair/board-client.ts';
import { readBoardState, STATE_READ_RESTARTS_MAX } from '../host/pair/read-state.ts';

/** A ledger 1.0.0 state of `count` accounts with ids of the longest length allowed. */
function ledgerState(count: number): { accounts: Record<string, number> } {
  const accounts: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    accounts[`account-${i}-`.padEnd(MAX_ACCOUNT_ID_LENGTH, 'x')] = i * 100;
  }
  return { accounts };
}

/**
 * A host client whose requests go through the management protocol to
 * `reads` as a board's would: encoded, parsed, answered, framed with the
 * default frame limit, decoded. `onRequest` runs before each answer.
 */
function clientOf(
  reads: StateReads,
  current: () => PairStateSnapshot,
  onRequest: (request: Record<string, unknown>) => void = () => {},
): { client: BoardClient; requests: Record<string, unknown>[] } {
  const requests: Record<string, unknown>[] = [];
  let id = 0;
  const client = {
    label: 'board',
    request: async (request: Record<string, unknown>) => {
      requests.push(request);
      onRequest(request);
      const parsed = parseManagementRequest(decodeCbor(encodeCbor({ id: ++id, ...request })));
      if (parsed.op !== 'state') throw new Error(`unexpected op ${parsed.op}`);
      const frame = encodeFrame(encodeCbor(reads.answer(parsed, current)));
      const [event] = new FrameDecoder().push(frame);
      if (event?.kind !== 'frame') throw new Error('the answer did not make a frame');
      const reply = decodeCbor(event.payload) as ManagementReply;
      if (!reply.ok) throw new BoardRefusedError(reply.error, reply.message);
      return reply.result;
    },
  } as unknown as BoardClient;
  return { client, requests };
}

test('a state answer with the largest fields fits one frame', (t) => {
  const reply = {
    id: Number.MAX_SAFE_INTEGER,
    ok: true,
    result: {
      sha256: 'f'.repeat(64),
      total: STATE_READ_MAX_BYTES,
      offset: STATE_READ_MAX_BYTES,
      bytes: new Uint8Array(STATE_CHUNK_MAX_BYTES),
    },
  };
  const envelope = encodeCbor(reply, { ...limitsFor(8192) }).length - STATE_CHUNK_MAX_BYTES;
  t.log(`envelope ${envelope} bytes of ${STATE_REPLY_ENVELOPE_MAX_BYTES}`);
  t.true(envelope <= STATE_REPLY_ENVELOPE_MAX_BYTES);
  t.true(STATE_CHUNK_MAX_BYTES + STATE_REPLY_ENVELOPE_MAX_BYTES <= FRAME_PAYLOAD_MAX_BYTES);
});

function limitsFor(bytesMax: number) {
  return { bytesMax, depthMax: 16, itemsMax: 4096 };
}

test('the parser takes a state read with both or neither of sha256 and offset', (t) => {
  const sha256 = 'ab'.repeat(32);
  t.deepEqual(parseManagementRequest({ id: 1, op: 'state' }), { id: 1, op: 'state' });
  t.deepEqual(parseManagementRequest({ id: 1, op: 'state', sha256, offset: 8 }), {
    id: 1,
    op: 'state',
    sha256,
    offset: 8,
  });
  for (const bad of [
    { id: 1, op: 'state', sha256 },
    { id: 1, op: 'state', offset: 0 },
    { id: 1, op: 'state', sha256: 'AB'.repeat(32), offset: 0 },
    { id: 1, op: 'state', sha256, offset: -1 },
    { id: 1, op: 'state', sha256, offset: STATE_READ_MAX_BYTES + 1 },
    { id: 1, op: 'state', sha256, offset: 0, more: true },
  ]) {
    t.throws(() => parseManagementRequest(bad), { instanceOf: TypeError }, JSON.stringify(bad));
  }
});

test('a ledger of 1,500 accounts is read whole, in chunks that each fit a frame', async (t) => {
  const snapshot = { version: '1.0.0', txn: 1500, state: ledgerState(1500) };
  const total = encodeCbor(snapshot, limitsFor(STATE_READ_MAX_BYTES * 2)).length;
  t.log(`state of 1,500 accounts: ${total} bytes encoded`);
  t.true(total > 50_000);
  const { client, requests } = clientOf(new StateReads(), () => snapshot);
  t.deepEqual(await readBoardState(client), snapshot);
  t.is(requests.length, Math.ceil(total / STATE_CHUNK_MAX_BYTES));
});

test('a state that changes during a read is read as it was when the read began', async (t) => {
  const state = ledgerState(300);
  const before = structuredClone({ version: '1.0.0', txn: 300, state });
  let txn = 300;
  const { client } = clientOf(
    new StateReads(),
    () => ({ version: '1.0.0', txn, state }),
    (request) => {
      // A write lands between any two chunks.
      if (request.offset === undefined) return;
      txn += 1;
      state.accounts[`new-${txn}`] = txn;
    },
  );
  t.deepEqual(await readBoardState(client), before);
});

test('a read whose snapshot another read replaced starts again, a bounded number of times', async (t) => {
  const reads = new StateReads();
  const snapshot = { version: '1.0.0', txn: 7, state: ledgerState(300) };
  let interfere = 2;
  const { client, requests } = clientOf(
    reads,
    () => snapshot,
    (request) => {
      // Another host begins a read just before this one's second chunk, twice.
      if (request.offset !== undefined && interfere > 0) {
        interfere -= 1;
        reads.begin({ ...snapshot, txn: 100 + interfere });
      }
    },
  );
  t.deepEqual(await readBoardState(client), snapshot);
  t.is(requests.filter((r) => r.offset === undefined).length, 3, 'two restarts, then a whole read');

  const always = clientOf(
    reads,
    () => snapshot,
    (request) => {
      if (request.offset !== undefined) reads.begin({ ...snapshot, txn: 0 });
    },
  );
  const error = await t.throwsAsync(readBoardState(always.client), {
    instanceOf: BoardRefusedError,
  });
  t.is(error?.code, 'snapshot-gone');
  t.is(always.requests.filter((r) => r.offset === undefined).length, STATE_READ_RESTARTS_MAX + 1);
});

test('a state above the limit is refused with a code', async (t) => {
  const huge = { version: '1.0.0', txn: 1, state: { blob: 'x'.repeat(STATE_READ_MAX_BYTES) } };
  const { client } = clientOf(new StateReads(), () => huge);
  const error = await t.throwsAsync(readBoardState(client), { instanceOf: BoardRefusedError });
  t.is(error?.code, 'state-unreadable');
});
