/**
 * A primary that serves alone and is then lost takes what it acknowledged
 * with it; the other board serves on from its older copy and runs other
 * requests as the same transactions (simulator seed 546 in the replay model:
 * a two-way cut of the only path, then a pull of the board that took over).
 * The history reports each reused transaction as a loss, and its replay then
 * follows the primary that went on serving: the replies that primary gives
 * afterwards are its own history's, not inconsistent ones.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { History } from '../host/history/client-history.ts';

const app = ledgerV1('state');
const CONTEXT = { nowMs: 10, seed: 7 } as const;

/** What a primary answers when it runs `body` on `state`, and the state after. */
function run(state: unknown, body: unknown): { reply: unknown; state: unknown } {
  const decision = app.handle(state as never, app.parseRequest(body), {
    nowMs: CONTEXT.nowMs,
    random: () => 0,
  });
  return {
    reply: decision.reply,
    state: app.apply(structuredClone(state) as never, decision.update),
  };
}

/** Executes and acknowledges `body` for `clientId#1` as `txn`. */
function serve(h: History, state: unknown, txn: number, clientId: string, body: unknown) {
  h.executed({ kind: 'executed', txn, clientId, syncId: 1, ...CONTEXT }, 1);
  const after = run(state, body);
  return {
    state: after.state,
    acknowledge: (reply: unknown = after.reply) =>
      h.acknowledge(txn, { clientId, syncId: 1, body }, { reply, txn, syncId: 1 }),
  };
}

const open = { op: 'open', account: 'x' };
const deposit = (amount: number) => ({ op: 'deposit', account: 'x', amount });

/**
 * Both boards hold txn 1; the board that took over acknowledges txn 2 for
 * `lone` and is lost; the survivor runs txns 2 and 3 for `b` and `c`.
 */
function lostLineage(h: History, options: { lateLoneReply: boolean; wrongLastReply?: boolean }) {
  const first = serve(h, app.init(), 1, 'a', open);
  first.acknowledge();
  const lone = serve(h, first.state, 2, 'lone', deposit(100));
  if (!options.lateLoneReply) lone.acknowledge();
  const b = serve(h, first.state, 2, 'b', deposit(5));
  b.acknowledge();
  // The lost board's reply may also reach its client only now (held on the bus).
  if (options.lateLoneReply) lone.acknowledge();
  const c = serve(h, b.state, 3, 'c', deposit(1));
  c.acknowledge(options.wrongLastReply ? { ok: true, balance: 101 } : undefined);
  return c.state;
}

/** The kinds of violation a history with a lost lineage reports, once replayed to the end. */
function violationsOf(options: Parameters<typeof lostLineage>[1]): History {
  const h = new History(() => app, 'reported');
  const finalState = lostLineage(h, options);
  h.checkSequential(99, finalState, app.version, 3);
  return h;
}

const kinds = (h: History) => h.violations.map((v) => v.kind);

test('a lost lone acknowledgement is a loss, and the replay follows the survivor', (t) => {
  const h = violationsOf({ lateLoneReply: false });
  t.deepEqual(kinds(h), ['acknowledged-lost'], JSON.stringify(h.violations));
  t.is(h.lost, 1);
  t.regex(h.violations[0]?.detail ?? '', /txn 2 acknowledged for lone#1, reused for b#1/);
});

test("the lost board's reply arriving after the survivor's still leaves the replay on the survivor", (t) => {
  const h = violationsOf({ lateLoneReply: true });
  t.deepEqual(kinds(h), ['acknowledged-lost'], JSON.stringify(h.violations));
  t.is(h.lost, 1);
});

test('a survivor reply that is not its own history is still inconsistent', (t) => {
  // balance 101 is what c's deposit gives on the lost board's history (100 then 1), not on the survivor's.
  const h = violationsOf({ lateLoneReply: false, wrongLastReply: true });
  t.deepEqual(kinds(h), ['acknowledged-lost', 'inconsistent-reply'], JSON.stringify(h.violations));
  t.regex(h.violations[1]?.detail ?? '', /txn 3/);
});
