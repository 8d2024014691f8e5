/**
 * A retained ledger whose state outgrows its store (issue 10: "a named
 * limit for everything"). The store's room is a named limit from its
 * geometry: a request that would grow the state past it is refused
 * `store-full` before anything changes, as a transaction the backup holds
 * too, so a retry gets the same answer after a takeover. Everything that
 * does not grow the state is served, and the pair stays formed: no board
 * stops or reboots for want of room.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import type { CheckpointModel } from '../firmware/app.ts';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { reasonText } from '../firmware/reasons.ts';
import type { ClientReply } from '../firmware/runtime/messages.ts';
import { CorePair } from './helpers/core-pair.ts';
import { TINY_STORE } from './helpers/tiny-store.ts';

/** Most accounts the test opens before it expects the store to be full. */
const OPENS_MAX = 200;

for (const model of ['state', 'replay'] as const satisfies readonly CheckpointModel[]) {
  test(`${model} model: a state that outgrows its store refuses what would grow it, serves the rest, and the pair stays formed`, (t) => {
    const stores: [RetentiveMemory, RetentiveMemory] = [
      new RetentiveMemory(TINY_STORE),
      new RetentiveMemory(TINY_STORE),
    ];
    const pair = new CorePair(
      [ledgerV1(model), ledgerV1(model)],
      { heartbeatIntervalMs: 20 },
      stores,
    );
    pair.runUntil(() => pair.whole);

    // Open accounts until the store has no room for another.
    let syncId = 0;
    let refusal: ClientReply | undefined;
    for (let n = 1; n <= OPENS_MAX && refusal === undefined; n++) {
      const reply = pair.ask(0, 'c', ++syncId, { op: 'open', account: `acct-${n}` });
      if (!reply.ok) refusal = reply;
    }
    if (refusal === undefined || refusal.ok) return t.fail(`no refusal in ${OPENS_MAX} opens`);
    t.is(refusal.error, 'store-full');
    t.is(refusal.why.code, 'no-room', 'the firmware gives the facts, not the sentence');
    t.regex(reasonText(refusal.why), /durable store is full.*bigger store region/);
    t.is(typeof refusal.txn, 'number', 'the refusal is a transaction');
    t.like(
      pair.eventsOf('executed').find((e) => e.kind === 'executed' && e.txn === refusal.txn),
      { syncId, refused: 'store-full' },
      'a checker learns which request the refused transaction was',
    );
    const refusedSync = syncId;
    const refusedAccount = `acct-${refusedSync}`;

    // Nothing half done: the account is on neither board.
    for (const board of [0, 1] as const) {
      const accounts = (pair.core(board).state as { accounts: Record<string, number> }).accounts;
      t.false(refusedAccount in accounts, `P${board + 1} holds no ${refusedAccount}`);
    }
    const room = pair.core(0).durable?.room;
    t.true(room?.full, 'status says the store is full');
    t.true((room?.snapshotBytes ?? Infinity) <= (room?.snapshotBytesMax ?? 0));
    const full = pair.eventsOf('store-full');
    t.is(full.length, 1);
    t.true(full[0]?.kind === 'store-full' && full[0].full);

    // What does not grow the state still runs, at the limit.
    const deposit = pair.ask(0, 'c', ++syncId, { op: 'deposit', account: 'acct-1', amount: 5 });
    t.true(deposit.ok, JSON.stringify(deposit));
    const balance = pair.ask(0, 'c', ++syncId, { op: 'balance', account: 'acct-1' });
    t.true(balance.ok, JSON.stringify(balance));

    // A retry is answered from the reply cache: the same refusal, the same txn.
    const retry = pair.ask(0, 'c', refusedSync, { op: 'open', account: refusedAccount });
    t.deepEqual(retry, refusal);

    // The pair is whole, and no board stopped or rebooted for want of room.
    t.true(pair.whole);
    t.deepEqual(
      pair.effects.filter((e) => e.effect.kind === 'reboot'),
      [],
      'no reboot',
    );
    t.deepEqual(pair.eventsOf('store-refused'), [], 'the store is full, not refused');

    // The backup holds the refusal: after a takeover the retry gets the same answer.
    pair.powerOff(0);
    pair.runUntil(() => pair.cores[1]?.serving === true);
    t.deepEqual(pair.ask(1, 'c', refusedSync, { op: 'open', account: refusedAccount }), refusal);
  });
}

/**
 * What processor 1's store holds, as it tells it when it boots and
 * recovers alone (its partner is off): the recovered txn, if it recovers.
 */
function recoveredTxn(pair: CorePair): number | undefined {
  const seen = pair.events.length;
  const recovered = () =>
    pair.events.slice(seen).find(({ event }) => event.kind === 'recovered')?.event;
  pair.boot(0);
  pair.runUntil(() => recovered() !== undefined);
  const event = recovered();
  return event?.kind === 'recovered' ? event.txn : undefined;
}

test('a store that cannot take its snapshot stops the board before any answer of what it could not keep leaves, refusals included', (t) => {
  // Campaign seed 563 (state model, retained): a refusal is a transaction, and its reply left
  // although the group commit that held its entry failed; the board came back without it.
  const pair = new CorePair([ledgerV1('state'), ledgerV1('state')], { heartbeatIntervalMs: 20 }, [
    new RetentiveMemory(TINY_STORE),
    new RetentiveMemory(TINY_STORE),
  ]);
  pair.runUntil(() => pair.whole);
  pair.powerOff(1);
  pair.runUntil(() => pair.cores[0]?.role === 'primary-alone');
  let syncId = 0;
  let full = false;
  for (let n = 1; n <= OPENS_MAX && !full; n++) {
    full = !pair.ask(0, 'c', ++syncId, { op: 'open', account: `acct-${n}` }).ok;
  }
  t.true(full, `the store was full within ${OPENS_MAX} opens`);
  // A few clients, each refused again and again: the refusals the reply cache keeps grow it past
  // what an area holds, and the group commit that fails holds refusals only.
  const clients = 10;
  for (let client = 1; client <= clients; client++) pair.ask(0, `k${client}`, 0, null);
  for (let request = 1; request <= 20 && pair.cores[0] != null; request++) {
    for (let client = 1; client <= clients && pair.cores[0] != null; client++) {
      pair.request(0, `k${client}`, request, { op: 'open', account: `more-${client}-${request}` });
      pair.run(5);
    }
  }
  const refused = pair.eventsOf('store-refused');
  t.true(refused.length > 0, 'the store refused a snapshot');
  t.true(
    refused.every((e) => e.kind === 'store-refused' && e.code === 'full'),
    `a full store, told from a failed one: ${JSON.stringify(refused)}`,
  );
  const answered = Math.max(...pair.replies.map((reply) => reply.txn ?? 0));
  const recovered = recoveredTxn(pair);
  if (recovered === undefined) return t.fail('no recovery');
  t.true(
    recovered >= answered,
    `the store held txn ${recovered}, clients were answered up to txn ${answered}`,
  );
});

test('a store write that fails with the power on lets no answer of what it held leave', (t) => {
  // The group commit of four requests fails: the board gives its store up, and their answers must
  // not go, since it comes back without them.
  const stores = [new RetentiveMemory(), new RetentiveMemory()] as const;
  const pair = new CorePair([ledgerV1('state'), ledgerV1('state')], {}, stores);
  pair.runUntil(() => pair.whole);
  pair.powerOff(1);
  pair.runUntil(() => pair.cores[0]?.role === 'primary-alone');
  for (let client = 1; client <= 4; client++) pair.ask(0, `c${client}`, 0, null);
  const answeredBefore = Math.max(...pair.replies.map((reply) => reply.txn ?? 0));
  const failing = stores[0];
  failing.failAtOperation = failing.operations + 1;
  for (let client = 1; client <= 4; client++)
    pair.request(0, `c${client}`, 1, { op: 'open', account: `a${client}` });
  pair.run(50);
  t.is(failing.failures, 1, 'the write failed');
  const answered = Math.max(...pair.replies.map((reply) => reply.txn ?? 0));
  t.is(answered, answeredBefore, 'no answer of the failed commit left');
  pair.powerOff(0);
  pair.run(10);
  const recovered = recoveredTxn(pair);
  if (recovered === undefined) return t.fail('no recovery');
  t.true(recovered >= answered, `the store held txn ${recovered}, answered up to ${answered}`);
});
