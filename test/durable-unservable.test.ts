/**
 * Durable state (issue 10) when a board's store holds a log its image
 * cannot replay: another version wrote it (ledger 1.0.0 cannot read state
 * version 2). The store is refused for serving, but its records still tell
 * its history (term, last txn), so the boards compare: a newer history on
 * the partner serves and the refusing board joins; a newer history in the
 * refused store is served by the image that wrote it, which the board
 * boots from its other slot. Before, the refused status carried no term:
 * unless the partner's store was solo, neither board would serve, and
 * both stayed booting for good (retained simulator seeds 10, 17, 21 and
 * others: `not-reformed`).
 */
import test, { type ExecutionContext } from 'ava';
import { RetentiveMemory, SMALL_STORE } from '../boards/retentive-memory.ts';
import { ledgerV1, ledgerV2 } from '../firmware/apps/ledger/index.ts';
import {
  type ClientReply,
  ENVELOPE_LIMITS,
  envelopeToWire,
  parseEnvelope,
} from '../firmware/runtime/messages.ts';
import { decodeCbor, encodeCbor } from '../firmware/wire/cbor.ts';
import { MessageError } from '../firmware/wire/errors.ts';
import { CorePair } from './helpers/core-pair.ts';

/** Opens `count` accounts through `board`; returns the acknowledged replies. */
function open(pair: CorePair, board: 0 | 1, prefix: string, count: number): ClientReply[] {
  const before = pair.replies.length;
  for (let i = 1; i <= count; i++)
    pair.request(board, `${prefix}${i}`, 1, { op: 'open', account: `${prefix}${i}` });
  pair.runUntil(() => pair.replies.length - before === count);
  return pair.replies.slice(before).filter((r) => r.ok);
}

/** A whole pair on ledger 2.0.0 with a store each, `otherVersion` in both other slots, and 5 accounts opened. */
function pairOn2(otherVersion: string): {
  pair: CorePair;
  stores: [RetentiveMemory, RetentiveMemory];
  before: ClientReply[];
} {
  const stores: [RetentiveMemory, RetentiveMemory] = [new RetentiveMemory(), new RetentiveMemory()];
  const pair = new CorePair(
    [ledgerV2('state'), ledgerV2('state')],
    { heartbeatIntervalMs: 20 },
    stores,
  );
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion });
  pair.runUntil(() => pair.whole);
  return { pair, stores, before: open(pair, 0, 'a', 5) };
}

/** `board` serves, with every acknowledged account, and its partner joined it with the same history. */
function assertServesAll(
  t: ExecutionContext,
  pair: CorePair,
  board: 0 | 1,
  acknowledged: readonly ClientReply[],
): void {
  t.true(pair.core(board).serving, 'the newer history serves');
  const state = pair.core(board).state as { accounts: Record<string, number> };
  for (const reply of acknowledged) t.true(reply.clientId in state.accounts, reply.clientId);
  t.is(pair.core(board === 0 ? 1 : 0).txn, pair.core(board).txn, 'the other joined it');
}

test('after a fallback, a board refusing the newer version log joins when its partner holds the newer history, though that store is not solo', (t) => {
  // A fallback from 2.0.0 to 1.0.0: processor 2 took the roles on 1.0.0,
  // processor 1 boots 1.0.0 on trial and refuses its store (2.0.0's log),
  // and asks to join. Processor 2 loses power mid big checkpoint, with a
  // joiner (its store is not solo), and comes back: its history (a newer
  // term, what it acknowledged alone) must serve, and processor 1 join.
  const { pair, before } = pairOn2('1.0.0');
  t.is(pair.core(0).switchToOther(pair.nowMs), null);
  pair.runUntil(() => pair.cores[1] == null);
  pair.boot(1, { testMode: true, otherVersion: '2.0.0' }, ledgerV1('state'));
  pair.runUntil(() => pair.cores[0] == null);
  pair.runUntil(() => pair.core(1).serving);
  const alone = open(pair, 1, 'b', 5);
  pair.boot(0, { testMode: true, otherVersion: '2.0.0' }, ledgerV1('state'));
  const joinerCounted = () =>
    pair.events.some(
      (e) =>
        e.board === 1 && e.event.kind === 'role' && e.event.cause === 'big-checkpoint-to-joiner',
    );
  pair.runUntil(joinerCounted);
  t.is(pair.core(0).role, 'joining');
  t.true(
    pair.events.some((e) => e.board === 0 && e.event.kind === 'store-refused'),
    "processor 1 refuses 2.0.0's log",
  );
  pair.powerOff(1);
  pair.runUntil(() => pair.core(0).role === 'booting');
  pair.run(100);
  pair.boot(1, { otherVersion: '2.0.0' }, ledgerV1('state'));
  pair.runUntil(() => pair.whole);
  assertServesAll(t, pair, 1, [...before, ...alone]);
});

test('a board whose newest history another version wrote boots that version from its other slot and serves it', (t) => {
  // A switch to 2.0.0: processor 1 joined on 2.0.0 on trial and took over
  // when processor 2 lost power, acknowledging alone (its store: 2.0.0's
  // log, the newest term). It loses power before confirming 2.0.0, so it
  // comes back on 1.0.0, which cannot replay that log. Its partner's store
  // is older: processor 1 must boot 2.0.0 (its other slot) and serve.
  const { pair, before } = pairOn2('1.0.0');
  pair.powerOff(0);
  pair.runUntil(() => pair.core(1).serving);
  pair.boot(0, { testMode: true, otherVersion: '1.0.0' });
  pair.runUntil(() => pair.whole);
  pair.powerOff(1);
  pair.runUntil(() => pair.core(0).serving);
  const alone = open(pair, 0, 'b', 5);
  pair.powerOff(0);
  pair.run(100);
  pair.boot(1, { otherVersion: '1.0.0' });
  pair.boot(0, { otherVersion: '2.0.0' }, ledgerV1('state'));
  pair.runUntil(() => pair.cores[0] == null);
  t.deepEqual(
    pair.effects.filter((e) => e.board === 0 && e.effect.kind === 'reboot').at(-1)?.effect,
    { kind: 'reboot', boot: 'other-test' },
    'processor 1 boots the image in its other slot',
  );
  t.is(pair.core(1).role, 'booting', 'the older history does not serve meanwhile');
  pair.boot(0, { testMode: true, otherVersion: '1.0.0' }, ledgerV2('state'));
  pair.runUntil(() => pair.whole);
  assertServesAll(t, pair, 0, [...before, ...alone]);
});

test('a board whose newest history was written by a version neither slot holds waits with an alarm, and so does its partner', (t) => {
  // As above, but processor 1's other slot is empty: nobody can serve the
  // newest history, so nobody serves an older one in its place.
  const { pair } = pairOn2('');
  pair.powerOff(1);
  pair.runUntil(() => pair.core(0).serving);
  open(pair, 0, 'b', 3);
  pair.powerOff(0);
  pair.run(100);
  pair.boot(1);
  pair.boot(0, {}, ledgerV1('state'));
  pair.run(3000);
  t.deepEqual(
    pair.cores.map((c) => c?.role),
    ['booting', 'booting'],
  );
  const alarms = pair.events.filter(
    (e) => e.board === 0 && e.event.kind === 'alarm' && e.event.why.code === 'writer-missing',
  );
  t.is(alarms.length, 1, 'one alarm names the missing image');
});

test("a booting board's stored claim crosses the wire: servable or not, or refused; a malformed one is refused", (t) => {
  const base = {
    from: { p: 1 as const, inc: 3 },
    toInc: 0,
    ack: 0,
    hears: 0,
  };
  for (const stored of [
    { txn: 12, servable: true },
    { txn: 12, servable: false },
    'refused' as const,
  ]) {
    const envelope = { ...base, st: { role: 'booting' as const, term: 4, backupInc: 0, stored } };
    const wire = decodeCbor(encodeCbor(envelopeToWire(envelope), ENVELOPE_LIMITS), ENVELOPE_LIMITS);
    t.deepEqual(parseEnvelope(wire).st, envelope.st);
  }
  const unservable = envelopeToWire({
    ...base,
    st: { role: 'booting', term: 4, backupInc: 0, stored: { txn: 12, servable: false } },
  });
  t.throws(() => parseEnvelope([...unservable.slice(0, 12), true]), { instanceOf: MessageError });
  t.throws(() => parseEnvelope([...unservable.slice(0, 11), 'refused', false]), {
    instanceOf: MessageError,
  });
});

test('when a switch down to 1.0.0 fails, the old primary serves its own history, not the copy the new version stored in 1.0.0 shape', (t) => {
  // Processor 2 serves 2.0.0 and switches to 1.0.0. Processor 1 boots
  // 1.0.0 on trial, installs the big checkpoint and stores it in 1.0.0's
  // shape, which has no transfer history. Both boards lose power before
  // it takes the roles: both stores hold the same txn in the same term.
  // Processor 1 comes back on 2.0.0 (its trial undone), which can read
  // that snapshot only by converting it up, without the history: the tie
  // must go to processor 2's store, written by 2.0.0. (Retained simulator
  // seed 1279, replay, came there by one pull: processor 1 lost power as
  // it took the roles, before its store held the new term, and processor
  // 2, told it took them, waited for its history.)
  const { pair } = pairOn2('1.0.0');
  pair.powerOff(0);
  pair.runUntil(() => pair.core(1).serving);
  pair.boot(0, { otherVersion: '1.0.0' });
  pair.runUntil(() => pair.whole);
  t.like(pair.ask(1, 't', 1, { op: 'deposit', account: 'a1', amount: 10 }), { ok: true });
  for (const [index, to] of ['a2', 'a3'].entries())
    t.like(pair.ask(1, 't', index + 2, { op: 'transfer', from: 'a1', to, amount: 1 }), {
      ok: true,
    });
  const before = structuredClone(pair.core(1).state) as { history: unknown[] };
  t.is(before.history.length, 2);

  t.is(pair.core(1).switchToOther(pair.nowMs), null);
  pair.runUntil(() => pair.cores[0] == null);
  pair.boot(0, { testMode: true, otherVersion: '2.0.0' }, ledgerV1('state'));
  const generation = () => pair.core(0).durable?.position?.generation ?? 0;
  const booted = generation();
  // Once processor 1 stored it (its compaction goes a slice a tick) and was offered the roles.
  pair.runUntil(
    () =>
      generation() > booted &&
      pair.events.some(
        (e) => e.board === 1 && e.event.kind === 'role' && e.event.cause === 'roles-offered',
      ),
  );
  pair.powerOff(0, 1);
  pair.run(100);
  pair.boot(1, { otherVersion: '1.0.0' });
  pair.boot(0, { otherVersion: '1.0.0' }, ledgerV2('state'));
  pair.runUntil(() => pair.whole);
  t.true(pair.core(1).serving, "the old primary's history serves");
  t.deepEqual(pair.core(1).state, before);
  t.deepEqual(pair.core(0).state, before, 'and the other joined it');
});

const AREA_BLOCKS = SMALL_STORE.blockCount / 2;

test("a board refusing another version's log still erases its redundant area ahead: its compaction after the big checkpoint need not", (t) => {
  // A fallback: the old backup stops on 2.0.0 (its stop compacts into the
  // area erased ahead, and the area it leaves holds its log), boots 1.0.0 and
  // refuses the log. Erasing that area only once 1.0.0 installed the big
  // checkpoint took a tick a block, all while the held requests waited.
  const { pair, stores } = pairOn2('1.0.0');
  open(pair, 0, 'b', 35);
  t.is(pair.core(0).switchToOther(pair.nowMs), null);
  pair.runUntil(() => pair.cores[1] == null);
  pair.boot(1, { testMode: true, otherVersion: '2.0.0' }, ledgerV1('state'));
  t.true(pair.core(1).durable?.refused, "1.0.0 refuses 2.0.0's log");
  pair.runUntil(() => pair.core(1).role === 'backup', 10_000);
  const erasesAtInstall = stores[1].erasesDone;
  pair.runUntil(() => pair.core(1).durable?.held !== null, 1_000);
  // Its join was short (a small state): erasing ahead, a block a tick, may not have reached the last one.
  const erased = stores[1].erasesDone - erasesAtInstall;
  t.log(`the compaction erased ${erased} of the area's ${AREA_BLOCKS} blocks`);
  t.true(erased < AREA_BLOCKS);
});
