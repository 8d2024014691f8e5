/**
 * A peer message whose field is out of shape is refused, naming the field,
 * before anything acts on it: a partner that lies with a frame whose CRC is
 * good (a bug, another image) changes nothing. The simulator's noise never
 * gets past the CRC, so these are checked here.
 */
import test from 'ava';
import {
  announceToWire,
  envelopeToWire,
  type PeerBody,
  parseBusMessage,
  parseEnvelope,
  parseSnapshot,
  requestDigest,
} from '../firmware/runtime/messages.ts';
import { MessageError } from '../firmware/wire/errors.ts';
import { ledgerHello } from './helpers/ledger-hello.ts';
import { peerEnvelope } from './helpers/peer-envelope.ts';

const HELLO = ledgerHello();

/** The wire form of an envelope carrying `body` and a hello, with `change` applied to it. */
function wireWith(body: PeerBody, change: (wire: unknown[]) => void): unknown[] {
  const wire = envelopeToWire(peerEnvelope(body, HELLO));
  change(wire);
  return wire;
}

/** The field `parse` refuses its value for ('accepted' when it takes it); any other error is thrown. */
function refused(parse: () => unknown): unknown {
  try {
    parse();
    return 'accepted';
  } catch (error) {
    if (!(error instanceof MessageError)) throw error;
    return (error.why as { field?: string }).field;
  }
}

const refusedField = (wire: unknown) => refused(() => parseEnvelope(wire));

const held: PeerBody = {
  k: 'held',
  requests: [{ clientId: 'c1', syncId: 1, body: { op: 'balance' }, arrivedMs: 5 }],
};
const HELLO_AT = 7;
const BODY_AT = 9;

test('a well-formed envelope is accepted', (t) => {
  t.is(refusedField(wireWith(held, () => {})), 'accepted');
});

test("a held request's arrival time must be a finite time, not negative", (t) => {
  for (const arrivedMs of [Number.POSITIVE_INFINITY, Number.NaN, -1, '5']) {
    const wire = wireWith(held, (w) => {
      const body = w[BODY_AT] as { requests: { arrivedMs: unknown }[] };
      (body.requests[0] as { arrivedMs: unknown }).arrivedMs = arrivedMs;
    });
    t.is(refusedField(wire), 'held.arrivedMs', String(arrivedMs));
  }
});

test("held requests in the compact form read back without their arrival time, which is not the receiver's clock", (t) => {
  const wire = envelopeToWire(peerEnvelope(held, HELLO), { heldCompact: true });
  t.deepEqual(wire[BODY_AT], { k: 'held', r: [['c1', 1, { op: 'balance' }]] });
  t.deepEqual(parseEnvelope(wire).seg?.body, {
    k: 'held',
    requests: [{ clientId: 'c1', syncId: 1, body: { op: 'balance' }, arrivedMs: 0 }],
  });
});

test('a held request in the compact form is a list of three: client id, sync id and body', (t) => {
  const cases: [unknown, string][] = [
    [['c1', 1], 'held request length'],
    [['c1', 1, null, 5], 'held request length'],
    [[1, 1, null], 'held.clientId'],
    [['c1', -1, null], 'held.syncId'],
    [{ clientId: 'c1', syncId: 1, body: null }, 'held request'],
  ];
  for (const [request, field] of cases) {
    const wire = envelopeToWire(peerEnvelope(held, HELLO), { heldCompact: true });
    (wire[BODY_AT] as { r: unknown[] }).r[0] = request;
    t.is(refusedField(wire), field, JSON.stringify(request));
  }
});

test("a hello's prior state version must be a whole number", (t) => {
  for (const priorStateVersion of [1.5, '1', null, Number.NaN]) {
    const wire = wireWith(held, (w) => {
      w[HELLO_AT] = { ...(w[HELLO_AT] as object), priorStateVersion };
    });
    t.is(refusedField(wire), 'hello.priorStateVersion', String(priorStateVersion));
  }
});

const replayBatch: PeerBody = {
  k: 'ckpt',
  entries: [
    { txn: 7, clientId: 'c1', syncId: 0, registration: true },
    { txn: 8, clientId: 'c1', syncId: 1, request: { op: 'open' }, nowMs: 12.5, seed: 99 },
  ],
};

test('a checkpoint in lockstep carries digests in place of requests, and reads back as such', (t) => {
  const envelope = parseEnvelope(
    envelopeToWire(peerEnvelope(replayBatch, HELLO), { requestsHeard: true }),
  );
  t.deepEqual(envelope.seg?.body, {
    k: 'ckpt',
    entries: [
      { txn: 7, clientId: 'c1', syncId: 0, registration: true },
      {
        txn: 8,
        clientId: 'c1',
        syncId: 1,
        requestDigest: requestDigest({ op: 'open' }),
        nowMs: 12.5,
        seed: 99,
      },
    ],
  });
  // Sent again, the same batch carries its requests.
  t.deepEqual(
    parseEnvelope(envelopeToWire(peerEnvelope(replayBatch, HELLO))).seg?.body,
    replayBatch,
  );
});

test("a lockstep entry's digest must be a count", (t) => {
  for (const digest of [-1, 1.5, 'x', null]) {
    const wire = envelopeToWire(peerEnvelope(replayBatch, HELLO), { requestsHeard: true });
    const entry = (wire[BODY_AT] as { e: unknown[][] }).e[1] as unknown[];
    entry[3] = digest;
    t.is(refusedField(wire), 'entry.requestDigest', String(digest));
  }
});

test('an envelope that is not a list, a body that is not a map or of no known kind, and a chunk past its count or of no count are refused, naming the field', (t) => {
  t.is(refusedField({}), 'envelope');
  const withBody = (body: unknown) =>
    wireWith(held, (w) => {
      w[BODY_AT] = body;
    });
  t.is(refusedField(withBody([1])), 'body');
  t.is(refusedField(withBody(5)), 'body');
  t.is(refusedField(withBody({ k: 'nonsense' })), 'body.k');
  const chunk = { k: 'snap', id: 4, index: 1, count: 2, data: new Uint8Array(3) };
  t.is(refusedField(withBody(chunk)), 'accepted');
  t.is(refusedField(withBody({ ...chunk, index: 2 })), 'snap.index');
  t.is(refusedField(withBody({ ...chunk, count: -2 })), 'snap.count');
});

test("a big checkpoint's sessions must be a list", (t) => {
  const snapshot = { stateVersion: 1, state: {}, txn: 3, term: 1, cache: [] };
  t.is(
    refused(() => parseSnapshot(snapshot)),
    'accepted',
  );
  t.is(
    refused(() => parseSnapshot({ ...snapshot, cache: {} })),
    'cache',
  );
});

test('on the field bus an announcement names processor 1 or 2, and a refusal is a MessageError by name', (t) => {
  t.deepEqual(parseBusMessage(announceToWire(1)), { kind: 'announce', processor: 1 });
  t.deepEqual(parseBusMessage(announceToWire(2)), { kind: 'announce', processor: 2 });
  t.is(
    refused(() => parseBusMessage(announceToWire(3 as 2))),
    'announce.processor',
  );
  const error = t.throws(() => parseBusMessage(announceToWire(3 as 2)));
  t.is(error?.name, 'MessageError');
});
