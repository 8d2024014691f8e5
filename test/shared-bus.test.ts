/**
 * A shared field bus (issue 13): both processors hear every request, only
 * the serving one answers, and a backup that takes over answers what it
 * heard and no checkpoint covered at once, with no resend from the client.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { runPair } from '../firmware/pair-main.ts';
import type { PairConfig } from '../firmware/runtime/config.ts';
import { pathLineUse } from '../firmware/runtime/line-use.ts';
import { type BusMessage, busToWire, type ClientReply } from '../firmware/runtime/messages.ts';
import { encodeCbor } from '../firmware/wire/cbor.ts';
import { crc8 } from '../firmware/wire/crc8.ts';
import {
  byteTimeMs,
  encodeFrame,
  FRAME_CUT_SHORT_AFTER_MS,
  FRAME_SYNC_BYTE,
} from '../firmware/wire/frame.ts';
import { CorePair } from './helpers/core-pair.ts';
import { SandboxHal } from './helpers/sandbox-hal.ts';

const open = { op: 'open', account: 'a' };
const deposit = { op: 'deposit', account: 'a', amount: 5 };

function sharedBusPair(config: Partial<PairConfig> = {}): CorePair {
  const app = ledgerV1('state');
  const pair = new CorePair([app, app], { heartbeatIntervalMs: 20, busShared: true, ...config });
  pair.runUntil(() => pair.whole);
  return pair;
}

/** A request on the shared bus: both boards hear it (the harness registers no one). */
function onTheBus(pair: CorePair, clientId: string, syncId: number, body: unknown): void {
  for (const board of [0, 1] as const)
    pair.request(board, clientId, syncId, body, { register: false });
}

function askTheBus(pair: CorePair, clientId: string, syncId: number, body: unknown): ClientReply {
  const before = pair.replies.length;
  onTheBus(pair, clientId, syncId, body);
  pair.runUntil(() => pair.replies.length > before);
  return pair.replies.at(-1) as ClientReply;
}

function repliesTo(pair: CorePair, clientId: string, syncId: number): ClientReply[] {
  return pair.replies.filter((r) => r.clientId === clientId && r.syncId === syncId);
}

test('on a shared bus only the serving processor answers', (t) => {
  const pair = sharedBusPair();
  t.true(askTheBus(pair, 'c', 0, null).ok);
  t.true(askTheBus(pair, 'c', 1, open).ok);
  t.true(askTheBus(pair, 'c', 2, deposit).ok);
  pair.run(200);
  for (const syncId of [0, 1, 2]) t.is(repliesTo(pair, 'c', syncId).length, 1, `sync id ${syncId}`);
});

test('a request the primary ran but never checkpointed is answered by the survivor at takeover, with no resend', (t) => {
  const pair = sharedBusPair();
  t.true(askTheBus(pair, 'c', 0, null).ok);
  t.true(askTheBus(pair, 'c', 1, open).ok);
  // The primary's checkpoints no longer reach the backup: it runs the deposit and cannot answer.
  for (const path of pair.cut) path[0] = true;
  onTheBus(pair, 'c', 2, deposit);
  pair.run(5);
  t.is(repliesTo(pair, 'c', 2).length, 0, 'not acknowledged without the backup');
  pair.powerOff(0);
  pair.runUntil(() => repliesTo(pair, 'c', 2).length > 0, 1000);
  const [reply] = repliesTo(pair, 'c', 2);
  t.true(reply?.ok, JSON.stringify(reply));
  t.true(pair.core(1).serving);
  t.is(reply?.ok ? reply.txn : -1, pair.core(1).txn, 'the survivor ran it');
  const balance = askTheBus(pair, 'c', 3, { op: 'balance', account: 'a' });
  t.like(balance, { ok: true, reply: { balance: 5 } });
});

test('a request the backup saw checkpointed is not run again at takeover', (t) => {
  const pair = sharedBusPair();
  t.true(askTheBus(pair, 'c', 0, null).ok);
  t.true(askTheBus(pair, 'c', 1, open).ok);
  const first = askTheBus(pair, 'c', 2, deposit);
  t.true(first.ok);
  const txn = pair.core(1).txn;
  pair.powerOff(0);
  pair.runUntil(() => pair.core(1).serving);
  pair.run(50);
  t.is(pair.core(1).txn, txn, 'nothing ran at takeover');
  t.is(repliesTo(pair, 'c', 2).length, 1, 'nothing answered again unasked');
  t.deepEqual(askTheBus(pair, 'c', 2, deposit), first, 'a retry gets the same answer');
  t.like(askTheBus(pair, 'c', 3, { op: 'balance', account: 'a' }), {
    ok: true,
    reply: { balance: 5 },
  });
});

test('a backup on a shared bus keeps at most heldRequestsMax requests it heard', (t) => {
  const pair = sharedBusPair({ heldRequestsMax: 2 });
  for (const client of ['a', 'b', 'c']) t.true(askTheBus(pair, client, 0, null).ok);
  for (const path of pair.cut) path[0] = true;
  // Three clients' opens the primary runs and cannot checkpoint; the backup keeps the last two.
  for (const client of ['a', 'b', 'c']) onTheBus(pair, client, 1, { op: 'open', account: client });
  pair.run(5);
  pair.powerOff(0);
  pair.runUntil(() => pair.core(1).serving);
  pair.run(50);
  t.deepEqual(
    pair.replies.filter((r) => r.syncId === 1).map((r) => r.clientId),
    ['b', 'c'],
    'the oldest was forgotten; its client retries',
  );
});

test('a request heard longer ago than heardKeepMs that no checkpoint covered is not answered at takeover', (t) => {
  const pair = sharedBusPair();
  for (const client of ['a', 'b']) t.true(askTheBus(pair, client, 0, null).ok);
  // Lost at the primary's drop: only the backup hears them, one long ago and one just now.
  pair.request(1, 'a', 1, { op: 'open', account: 'a' }, { register: false });
  pair.run(pair.configs[1].heardKeepMs + 100);
  pair.request(1, 'b', 1, { op: 'open', account: 'b' }, { register: false });
  pair.powerOff(0);
  pair.runUntil(() => pair.core(1).serving);
  pair.run(50);
  t.deepEqual(
    pair.replies.filter((r) => r.syncId === 1).map((r) => r.clientId),
    ['b'],
    'its client has retried it since, or had its answer',
  );
});

test('a registration and a retry heard after the reply cache forgot their session run nothing at takeover (simulator seed 210)', (t) => {
  const pair = sharedBusPair({ clientsMax: 2 });
  t.true(askTheBus(pair, 'a', 0, null).ok);
  t.true(askTheBus(pair, 'a', 1, open).ok);
  // Two more sessions: the cache forgets a's.
  for (const client of ['b', 'c']) t.true(askTheBus(pair, client, 0, null).ok);
  // Late copies of a's registration and first request reach only the backup.
  pair.request(1, 'a', 0, null, { register: false });
  pair.request(1, 'a', 1, open, { register: false });
  const txn = pair.core(1).txn;
  const replies = pair.replies.length;
  pair.powerOff(0);
  pair.runUntil(() => pair.core(1).serving);
  pair.run(50);
  t.is(pair.core(1).txn, txn, 'nothing ran: the session is not begun again');
  t.is(pair.replies.length, replies);
});

test("on a shared bus a board's loop takes the other board's replies and announcements as no client's request", (t) => {
  const sandbox = new SandboxHal();
  runPair(ledgerV1('state'), sandbox.hal, { busShared: true });
  const frame = (message: BusMessage) => encodeFrame(encodeCbor(busToWire(message)));
  sandbox.deliver(
    'bus',
    frame({
      kind: 'reply',
      reply: { clientId: 'c', syncId: 1, ok: true, reply: null, txn: 3 },
    }),
  );
  sandbox.deliver('bus', frame({ kind: 'announce', processor: 2 }));
  t.deepEqual(
    sandbox.logs.filter((line) => line.startsWith('bad client message')),
    [],
  );
  // A request to a board that does not serve (it is still booting) gets no answer on a shared bus.
  sandbox.deliver(
    'bus',
    frame({ kind: 'request', request: { clientId: 'c', syncId: 0, body: null } }),
  );
  t.deepEqual(
    sandbox.written.filter((w) => w.port === 'bus'),
    [],
  );
  // What is neither is still bad input, said in the board's log.
  sandbox.deliver('bus', encodeFrame(encodeCbor([7, 'other'])));
  t.is(sandbox.logs.filter((line) => line.startsWith('bad client message')).length, 1);
});

// Noise on the bus that passed a header's CRC-8 declared a long frame: the
// requests behind it must not fill its length first (a quiet bus would take
// seconds). The board reads the bus at the profile's rate (busBaud).
test('a made-up frame on the bus does not swallow the requests behind it past twice its line time', (t) => {
  const sandbox = new SandboxHal();
  runPair(ledgerV1('state'), sandbox.hal, { busBaud: 115200 });
  const declared = 4000;
  const header = Uint8Array.of(FRAME_SYNC_BYTE, declared & 0xff, declared >>> 8, 0);
  header[3] = crc8(header, 0, 3);
  sandbox.deliver('bus', header);
  const request = encodeFrame(
    encodeCbor(busToWire({ kind: 'request', request: { clientId: 'c', syncId: 0, body: null } })),
  );
  // A client retrying every 100 ms: 4 KB of its retries would take 13 s.
  let answered = 0;
  while (answered === 0 && sandbox.nowMs < 3000) {
    sandbox.nowMs += 100;
    sandbox.deliver('bus', request);
    answered = sandbox.written.filter((w) => w.port === 'bus').length;
  }
  const dueMs = 2 * (declared + 8) * byteTimeMs(115200) + FRAME_CUT_SHORT_AFTER_MS;
  t.true(answered > 0, 'a request got an answer');
  t.true(
    sandbox.nowMs - 1000 <= dueMs + 100,
    `answered ${sandbox.nowMs - 1000} ms after the noise`,
  );
});

// Lockstep (issue 13): in the replay model a backup on a shared bus already
// holds every request, so the primary's checkpoint sends only their order,
// the inputs the handler drew and a digest of each request.

function replayPair(busShared: boolean): CorePair {
  const app = ledgerV1('replay');
  const pair = new CorePair([app, app], { heartbeatIntervalMs: 20, busShared });
  pair.runUntil(() => pair.whole);
  return pair;
}

/** Checkpoint bytes the primary (board 0) put on the line, first sends and resends. */
function checkpointBytes(pair: CorePair): { sent: number; resent: number } {
  const use = pair.core(0).lineUse.map(pathLineUse);
  return {
    sent: use.reduce((sum, path) => sum + path.checkpoint.bytes, 0),
    resent: use.reduce((sum, path) => sum + path.resent.bytes, 0),
  };
}

const memo = 'rent for the flat above the bakery, March';

test('in replay on a shared bus the checkpoints leave out the requests the backup heard', (t) => {
  const deposits = (pair: CorePair, shared: boolean) => {
    for (let syncId = 1; syncId <= 40; syncId++) {
      const body = syncId === 1 ? open : { ...deposit, amount: syncId, memo };
      if (shared) t.true(askTheBus(pair, 'c', syncId, body).ok, `sync id ${syncId}`);
      else t.true(pair.ask(0, 'c', syncId, body).ok, `sync id ${syncId}`);
    }
    pair.run(200);
  };
  const shared = replayPair(true);
  t.true(askTheBus(shared, 'c', 0, null).ok);
  deposits(shared, true);
  const separate = replayPair(false);
  deposits(separate, false);
  for (const pair of [shared, separate]) {
    t.deepEqual(pair.core(1).state, pair.core(0).state, 'the backup holds what the primary holds');
    t.is(pair.core(1).txn, pair.core(0).txn);
  }
  const lockstep = checkpointBytes(shared);
  const full = checkpointBytes(separate);
  t.is(lockstep.resent, 0, 'nothing sent again');
  t.true(
    lockstep.sent < 0.7 * full.sent,
    `checkpoint bytes: ${lockstep.sent} in lockstep, ${full.sent} with the requests`,
  );
});

test('a request the backup did not hear goes again with its request, and is acknowledged', (t) => {
  const pair = replayPair(true);
  t.true(askTheBus(pair, 'c', 0, null).ok);
  t.true(askTheBus(pair, 'c', 1, open).ok);
  // Lost at the backup's drop: only the primary hears the deposit.
  pair.request(0, 'c', 2, deposit, { register: false });
  pair.runUntil(() => repliesTo(pair, 'c', 2).length > 0);
  t.true(repliesTo(pair, 'c', 2)[0]?.ok);
  t.true(checkpointBytes(pair).resent > 0, 'the checkpoint went again');
  t.deepEqual(pair.core(1).state, pair.core(0).state);
  t.is(pair.core(1).txn, pair.core(0).txn);
});

test('a backup does not replay a body it heard under a sync id the primary ran with another', (t) => {
  const pair = replayPair(true);
  t.true(askTheBus(pair, 'c', 0, null).ok);
  t.true(askTheBus(pair, 'c', 1, open).ok);
  pair.request(0, 'c', 2, deposit, { register: false });
  pair.request(1, 'c', 2, { ...deposit, amount: 500 }, { register: false });
  pair.runUntil(() => repliesTo(pair, 'c', 2).length > 0);
  pair.run(100);
  t.deepEqual(pair.core(1).state, pair.core(0).state, 'the backup ran what the primary ran');
  const balance = askTheBus(pair, 'c', 3, { op: 'balance', account: 'a' });
  t.like(balance, { ok: true, reply: { balance: 5 } });
});
