/**
 * What crosses the field bus: each message reads back as it was written,
 * a reply's frame carries no field names (its line time is the floor of a
 * takeover as the client sees it), and a message out of shape is refused,
 * naming the field, before anything acts on it.
 */
import test from 'ava';
import {
  type BusMessage,
  busToWire,
  type ClientReply,
  parseBusMessage,
} from '../firmware/runtime/messages.ts';
import { decodeCbor, encodeCbor } from '../firmware/wire/cbor.ts';
import { MessageError } from '../firmware/wire/errors.ts';
import { FRAME_OVERHEAD_BYTES } from '../firmware/wire/frame.ts';

const REPLY: ClientReply = {
  clientId: 'load-lx2k9abc-17',
  syncId: 1234,
  ok: true,
  reply: { ok: true, balance: 123_456 },
  txn: 98_765,
};

const MESSAGES: readonly BusMessage[] = [
  {
    kind: 'request',
    request: { clientId: 'c', syncId: 7, body: { op: 'deposit', account: 'a1', amount: 5 } },
  },
  { kind: 'request', request: { clientId: 'c', syncId: 0, body: null } },
  { kind: 'reply', reply: REPLY },
  {
    kind: 'reply',
    reply: {
      clientId: 'c',
      syncId: 3,
      ok: false,
      error: 'session-expired',
      why: { code: 'session-expired', clientId: 'c', clientsMax: 256, syncId: 3 },
    },
  },
  {
    kind: 'reply',
    reply: {
      clientId: 'c',
      syncId: 4,
      ok: false,
      error: 'bad-request',
      why: { code: 'app-input', message: 'no such account' },
      txn: 12,
    },
  },
  { kind: 'announce', processor: 2 },
];

const crossed = (message: BusMessage): BusMessage =>
  parseBusMessage(decodeCbor(encodeCbor(busToWire(message))));

test('every kind of bus message reads back as it was written', (t) => {
  for (const message of MESSAGES) t.deepEqual(crossed(message), message);
});

test("a reply's frame on the bus is its values, not its field names", (t) => {
  const frameBytes = encodeCbor(busToWire({ kind: 'reply', reply: REPLY })).length;
  const named = encodeCbor({ t: 'reply', reply: REPLY }).length;
  t.log(
    `a reply in ${frameBytes + FRAME_OVERHEAD_BYTES} bytes on the line, named fields gave ${named + FRAME_OVERHEAD_BYTES}`,
  );
  // The client id (17), the app's reply (18), four small numbers and heads: under 50 bytes.
  t.true(frameBytes < 50, `${frameBytes} bytes`);
});

function refused(wire: unknown): unknown {
  try {
    parseBusMessage(wire);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof MessageError)) throw error;
    return (error.why as { field?: string }).field;
  }
}

test('a bus message out of shape is refused, naming what is wrong', (t) => {
  t.is(refused({ clientId: 'c', syncId: 1, body: null }), 'bus message');
  t.is(refused([9, 'c']), 'bus message kind');
  t.is(refused([0, 'c', -1, null]), 'syncId');
  t.is(refused([0, 'c'.repeat(65), 1, null]), 'clientId');
  t.is(refused([0, 'c', 1]), 'request');
  t.is(refused([1, 'c', 1, 1.5, null]), 'reply.txn');
  t.is(refused([2, 'c', 1, 'no-such-error', { code: 'x' }]), 'refusal.error');
  t.is(refused([2, 'c', 1, 'busy', 'not a reason']), 'refusal.why');
  t.is(refused([2, 'c', 1, 'busy', { code: 'busy' }, 3, 4]), 'refusal');
  t.is(refused([3, 3]), 'announce.processor');
});
