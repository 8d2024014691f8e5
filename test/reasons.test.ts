/**
 * The one table of reasons (firmware/reasons.ts): a board reports a code and
 * facts, the host says the sentence, also for a reason nested in another, an
 * error that carries one, and a code from an image this host does not know.
 */
import test from 'ava';
import { ledgerV2 } from '../firmware/apps/ledger/v2.ts';
import {
  errorText,
  isReason,
  REASON_CODES,
  type ReasonValue,
  reasonText,
  unsaidPart,
  whyText,
} from '../firmware/reasons.ts';
import {
  ENVELOPE_LIMITS,
  type Envelope,
  envelopeToWire,
  type PeerBody,
  parseEnvelope,
} from '../firmware/runtime/messages.ts';
import { decodeCbor, encodeCbor } from '../firmware/wire/cbor.ts';
import { CborStream } from '../firmware/wire/cbor-stream.ts';
import { errorFact, REASON_TEXT_MAX, ReasonError } from '../firmware/wire/errors.ts';
import { describeEntry, type PairJournalLine } from '../host/cli/commands/journal.ts';
import { peerEnvelope } from './helpers/peer-envelope.ts';

test('a reason reads as its sentence, with its facts in place', (t) => {
  t.is(
    reasonText({ code: 'checkpoint-gap', have: 4, got: 6 }),
    'checkpoint gap: have txn 4, got 6',
  );
  t.is(
    reasonText({ code: 'declares-more', at: 5, major: 3, declared: 10, remain: 3 }),
    'string at byte 5 declares 10 bytes but only 3 bytes remain',
  );
  t.is(
    reasonText({ code: 'partner-lacks-image', has: '', wants: '2.0.0' }),
    "the backup's other slot holds nothing, not 2.0.0",
  );
});

test('the store limit, the boot limit and the streaming reader give typed facts the host says', (t) => {
  t.regex(
    reasonText({ code: 'no-room', bytes: 900, max: 800 }),
    /^the durable store is full: .* 900 bytes, over the 800 .* bigger store region/,
  );
  t.is(
    reasonText({ code: 'asked-to-stop', ms: 4500 }),
    'backup asked to stop; the new version may take 4500 ms',
  );
  t.is(
    reasonText({ code: 'bad-length', field: 'cache item', items: 2, length: 3 }),
    'bad message: cache item has 2 items, not 3',
  );
  const stream = new CborStream(ENVELOPE_LIMITS);
  stream.push(Uint8Array.of(0x01, 0x02));
  const refusal = t.throws(() => stream.finish());
  t.deepEqual((refusal as ReasonError).why, { code: 'trailing-at', at: 1 });
  t.is(errorText(refusal), "bytes follow the message's single top-level item at byte 1");
});

test('a reason behind a reason reads inside its sentence', (t) => {
  t.is(
    reasonText({
      code: 'refused-us',
      why: { code: 'other-model', model: 'replay', ours: 'state' },
    }),
    'the primary refused us: partner checkpoints in the replay model, we in the state model',
  );
  t.is(
    reasonText({
      code: 'entry-failed',
      txn: 7,
      error: { code: 'unreadable-state', stateVersion: 3, version: '2.0.0' },
    }),
    'checkpoint txn 7 cannot be applied: cannot read state version 3 in 2.0.0',
  );
});

test("a code this host does not know (a newer image's) reads as its code and facts", (t) => {
  const newer: ReasonValue = { code: 'quantum-flux', level: 9, why: { code: 'dsr-dropped' } };
  t.is(reasonText(newer), 'quantum-flux (level 9, why DSR dropped on every path)');
  t.is(reasonText({ code: 'toString' }), 'toString', 'an inherited name is no code of the table');
  // A known code whose facts do not fit its sentence (an older image's, say).
  t.is(reasonText({ code: 'bad-head', at: 3 }), 'bad-head (at 3)');
  t.is(reasonText({ code: 'app-input' }), 'app-input');
  t.is(reasonText({ code: 'store-refused', why: 7 }), 'durable store refused: 7');
  t.false(REASON_CODES.includes('quantum-flux' as never));
});

test('an error reads as its reason; its message is the JSON of the facts', (t) => {
  const error = t.throws(() => decodeCbor(Uint8Array.of(0x61)));
  t.is(errorText(error), 'string at byte 0 declares 1 bytes but only 0 bytes remain');
  t.deepEqual(JSON.parse((error as Error).message), {
    code: 'declares-more',
    at: 0,
    major: 3,
    declared: 1,
    remain: 0,
  });
  t.is(errorText(new Error('plain')), 'plain');
  t.is(errorText('thrown text'), 'thrown text');
});

test('the ledger refuses a request with typed facts the host says', (t) => {
  const error = t.throws(() =>
    ledgerV2('state').parseRequest({ op: 'open', account: 'x'.repeat(50) }),
  );
  const why = (error as { why?: unknown }).why;
  t.true(isReason(why));
  t.like(why, { code: 'bad-account', op: 'open', field: 'account', max: 32, length: 50 });
  t.is(
    reasonText(why as ReasonValue),
    `open needs "account": an account id of 1 to 32 characters (well-formed text, not "__proto__"); got "${'x'.repeat(40)}"… (50 characters)`,
  );
});

test('an error caught on the way is a fact short enough for a peer message', (t) => {
  const small = new ReasonError({ code: 'checkpoint-gap', have: 1, got: 3 });
  t.deepEqual(errorFact(small), small.why);
  const big = new ReasonError({ code: 'log-other-version', version: 'v'.repeat(300) });
  const fact = errorFact(big);
  t.is(typeof fact, 'string');
  t.true(String(fact).startsWith('ReasonError: {"code":"log-other-version"'), String(fact));
  t.true(String(fact).length <= REASON_TEXT_MAX);
  t.is(errorFact(new Error('x'.repeat(500))), `Error: ${'x'.repeat(193)}`);
});

/** A body across the interconnect's wire form and back, as the partner parses it. */
function crossed(body: PeerBody): PeerBody | undefined {
  const bytes = encodeCbor(envelopeToWire(peerEnvelope(body)), ENVELOPE_LIMITS);
  return parseEnvelope(decodeCbor(bytes, ENVELOPE_LIMITS)).seg?.body;
}

test('a stop, reject or dropped crosses to and from an image built before reasons were typed', (t) => {
  const envelope: Envelope = {
    from: { p: 1, inc: 2 },
    toInc: 3,
    ack: 0,
    st: { role: 'primary', term: 4, backupInc: 3 },
    hears: 1,
    seg: {
      seq: 1,
      body: { k: 'stop', boot: 'other-test', why: { code: 'switch-to', version: '2.0.0' } },
    },
  };
  // Such an image reads `reason`, a short string, and refuses the body without it.
  const wire = envelopeToWire(envelope);
  t.like(wire[9], { k: 'stop', boot: 'other-test', reason: 'switch-to' });
  t.deepEqual(crossed(envelope.seg?.body as PeerBody), envelope.seg?.body);
  // What such an image sends: its sentence, read as the partner's words.
  for (const k of ['stop', 'reject', 'dropped'] as const) {
    wire[9] = { k, boot: 'confirmed', reason: 'partner runs app bulk, not ledger' };
    const body = parseEnvelope(decodeCbor(encodeCbor(wire, ENVELOPE_LIMITS), ENVELOPE_LIMITS)).seg
      ?.body;
    t.is(body?.k, k);
    t.is(
      body !== undefined && 'why' in body ? reasonText(body.why) : '',
      'partner runs app bulk, not ledger',
    );
  }
});

test('a journal or a client reply written by an image built before reasons were typed reads with its sentences', (t) => {
  const line = (entry: object) =>
    describeEntry({
      atMs: 0,
      processor: 1,
      boot: 1,
      version: '1.0.0',
      ...entry,
    } as unknown as PairJournalLine).replace(/^.*1\.0\.0 {2}/, '');
  t.is(line({ kind: 'alarm', detail: 'path 1 is down' }), 'alarm: path 1 is down');
  t.is(
    line({ kind: 'switch', step: 'd', ok: false, detail: 'no new version within 3000 ms' }),
    'switch step d FAILED: no new version within 3000 ms',
  );
  t.is(line({ kind: 'switch', step: 'b', ok: true, detail: '' }), 'switch step b ok');
  t.is(
    line({ kind: 'takeover', fenced: false, why: 'the primary is silent on every path' }),
    'takeover: the primary is silent on every path',
  );
  // A client's error reply from such an image, and from this one.
  t.is(whyText({ ok: false, error: 'busy', message: 'hold queue full' }), 'hold queue full');
  t.is(
    whyText({ ok: false, error: 'busy', why: { code: 'hold-full' } }),
    'switch in progress and the hold queue is full',
  );
  // And as this image writes them.
  t.is(
    line({ kind: 'alarm', why: { code: 'path-down', path: 1 } }),
    'alarm: path 1 is down; the pair runs on the remaining path',
  );
});

test('a joiner that gives up its copy for a malformed message tells the primary why, nested reason and all', (t) => {
  // The envelope it could not read: a reason whose `want` is left out (undefined).
  const unreadable = t.throws(() => parseEnvelope([1]));
  const body: PeerBody = {
    k: 'dropped',
    why: { code: 'snapshot-unusable', error: errorFact(unreadable) },
  };
  const received = crossed(body);
  t.is(received?.k, 'dropped');
  t.is(
    received?.k === 'dropped' ? reasonText(received.why) : '',
    'big checkpoint unusable: bad message: envelope length',
  );
  // Text beyond what a partner takes is refused, as before reasons.
  const long: PeerBody = { k: 'dropped', why: { code: 'app-input', message: 'x'.repeat(201) } };
  t.throws(() => crossed(long), { message: /"code":"bad-field"/ });
});

test('the simulator can tell a reason the table says in full from one it cannot', (t) => {
  t.is(unsaidPart({ code: 'partner-lacks-image', has: '', wants: '2.0.0' }), null);
  t.is(unsaidPart({ code: 'refused-us', why: { code: 'backup-off' } }), null);
  t.is(unsaidPart({ code: '' }), 'no sentence for code ""');
  t.is(unsaidPart({}), '{} is not a reason');
  t.is(
    unsaidPart({ code: 'no-room', bytes: Number.NaN, max: 5 }),
    'no-room: fact bytes is missing',
  );
  t.is(
    unsaidPart({ code: 'refused-us', why: { code: 'no-such-code' } }),
    'refused-us, behind it: no sentence for code "no-such-code"',
  );
});
