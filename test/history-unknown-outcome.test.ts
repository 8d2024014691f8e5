/**
 * A request whose client was told "session expired" may have run before its
 * session was forgotten. The simulator's history fills the gap it leaves
 * from the primary's executions, and still reports a gap nothing explains.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { History } from '../host/history/client-history.ts';

const app = ledgerV1('state');

/**
 * Three opens ran as txns 1 to 3 (b's refused `bad-request` instead when
 * `bRefused`: it changed nothing); a's and c's were acknowledged, b's answer
 * was heard by nobody.
 */
function history(bRefused = false): { h: History; finalState: unknown } {
  const h = new History(() => app, 'reported');
  const bodies = [
    ['a', { op: 'open', account: 'x' }],
    ['b', { op: 'open', account: 'y' }],
    ['c', { op: 'open', account: 'z' }],
  ] as const;
  const refusedB = (clientId: string) => bRefused && clientId === 'b';
  for (const [index, [clientId]] of bodies.entries())
    h.executed(
      {
        kind: 'executed',
        txn: index + 1,
        clientId,
        syncId: 1,
        nowMs: 10,
        seed: 7,
        ...(refusedB(clientId) && { refused: 'bad-request' as const }),
      },
      1,
    );
  let state = app.init();
  const replies = bodies.map(([clientId, body]) => {
    if (refusedB(clientId)) return null;
    const decision = app.handle(state, app.parseRequest(body), { nowMs: 10, random: () => 0 });
    state = app.apply(state, decision.update);
    return decision.reply;
  });
  for (const index of [0, 2]) {
    const [clientId, body] = bodies[index] as (typeof bodies)[number];
    h.acknowledge(
      0,
      { clientId, syncId: 1, body },
      { reply: replies[index], txn: index + 1, syncId: 1 },
    );
  }
  return { h, finalState: state };
}

/** `clientId`'s open of `account` (sync id 1) got "session expired": its outcome is unknown. */
function sessionExpired(h: History, clientId: string, account: string): void {
  h.refuse(
    0,
    { clientId, syncId: 1, body: { op: 'open', account } },
    {
      error: 'session-expired',
      why: { code: 'session-expired', clientId, clientsMax: 8, syncId: 1 },
    },
  );
}

test('a gap left by a request of unknown outcome that ran is filled from the execution', (t) => {
  const { h, finalState } = history();
  sessionExpired(h, 'b', 'y');
  h.checkSequential(0, finalState, app.version, 3);
  t.deepEqual(h.violations, []);
});

test('a gap no request of unknown outcome explains is a loss', (t) => {
  const { h, finalState } = history();
  h.checkSequential(0, finalState, app.version, 3);
  t.is(h.violations[0]?.kind, 'acknowledged-lost');
});

test('a request of unknown outcome the primary refused fills its gap and changes nothing', (t) => {
  const { h, finalState } = history(true);
  // b's refusal was lost on the way and its session forgotten before the retry.
  sessionExpired(h, 'b', 'y');
  h.checkSequential(0, finalState, app.version, 3);
  t.deepEqual(h.violations, []);
});

test('a gap whose execution is not the request of unknown outcome is still a loss', (t) => {
  const { h, finalState } = history();
  // Some other request's outcome is unknown; b's ran as txn 2 and nobody heard its answer.
  sessionExpired(h, 'd', 'w');
  h.checkSequential(0, finalState, app.version, 3);
  t.is(h.violations[0]?.kind, 'acknowledged-lost');
});
