/**
 * A peer message whose field is out of shape is refused, naming the field,
 * before anything acts on it: a partner that lies with a frame whose CRC is
 * good (a bug, another image) changes nothing. The simulator's noise never
 * gets past the CRC, so these are checked here.
 */
import test from 'ava';
import {
  envelopeToWire,
  type Hello,
  type PeerBody,
  parseEnvelope,
} from '../firmware/runtime/messages.ts';
import { MessageError } from '../firmware/wire/errors.ts';
import { peerEnvelope } from './helpers/peer-envelope.ts';

const HELLO: Hello = {
  app: 'ledger',
  version: '1.0.0',
  stateVersion: 1,
  model: 'state',
  priorStateVersion: -1,
  testMode: false,
  otherVersion: '',
};

/** The wire form of an envelope carrying `body` and a hello, with `change` applied to it. */
function wireWith(body: PeerBody, change: (wire: unknown[]) => void): unknown[] {
  const wire = envelopeToWire(peerEnvelope(body, HELLO));
  change(wire);
  return wire;
}

function refusedField(wire: unknown[]): unknown {
  try {
    parseEnvelope(wire);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof MessageError)) throw error;
    return (error.why as { field?: string }).field;
  }
}

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

test("a hello's prior state version must be a whole number", (t) => {
  for (const priorStateVersion of [1.5, '1', null, Number.NaN]) {
    const wire = wireWith(held, (w) => {
      w[HELLO_AT] = { ...(w[HELLO_AT] as object), priorStateVersion };
    });
    t.is(refusedField(wire), 'hello.priorStateVersion', String(priorStateVersion));
  }
});
