/**
 * A client's request may reach the primary twice: the copy a switch held and
 * handed over with the roles (step g), and the client's own resend when the
 * new primary announces itself. When the first copy's handler failed, the
 * pair once answered `bad-request` without keeping the answer, the second
 * copy ran, and its ok reply reached a client that had already taken the
 * error as the answer (simulator seed 504 in the replay model). The pair now
 * records the refusal as a transaction (test/bad-request-cached.test.ts), so
 * a run after it is a second execution. An error without a transaction
 * still settles nothing: the client reports what it sent, so the history
 * replays that request; a late reply that contradicts the request, or a
 * second transaction for it, is still caught.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import type { ClientReply, ClientRequest } from '../firmware/runtime/messages.ts';
import { History } from '../host/history/client-history.ts';
import { SimClient } from '../host/simulator/sim-client.ts';

const app = ledgerV1('state');
const CONTEXT = { nowMs: 10, seed: 7 } as const;
const open = { op: 'open', account: 'x' };

/** One client wired to a history, with the virtual time its timers run in. */
function clientAndHistory() {
  const h = new History(() => app, 'reported');
  const sent: ClientRequest[] = [];
  const timers: { atMs: number; run: () => void }[] = [];
  let now = 0;
  const client = new SimClient(
    'c',
    {
      now: () => now,
      later: (delayMs, run) => timers.push({ atMs: now + delayMs, run }),
      send: (_board, request) => sent.push(request),
      acknowledged: (request, reply) => h.acknowledge(now, request, reply),
      refused: (request, reply) => h.refuse(now, request, reply),
      waited: () => {},
    },
    () => open,
    () => 0.5,
    { timeoutMs: 1_000, thinkMsMax: 10, requestsMax: 1 },
  );
  /** Runs the timers due within `ms` of virtual time. */
  const advance = (ms: number) => {
    now += ms;
    for (const timer of timers.splice(0).sort((a, b) => a.atMs - b.atMs)) {
      if (timer.atMs <= now) timer.run();
      else timers.push(timer);
    }
  };
  return { h, client, sent, advance };
}

/** The client registers and sends its one request; returns it. */
function firstRequest(setup: ReturnType<typeof clientAndHistory>): ClientRequest {
  const { client, sent, advance } = setup;
  client.start();
  // The registration is transaction 1, so the request runs as 2.
  client.onReply({ clientId: 'c', syncId: 0, ok: true, reply: null, txn: 1 }, 0);
  advance(10);
  const request = sent.find((r) => r.syncId === 1);
  if (request === undefined) throw new Error('the client sent no request');
  return request;
}

const handlerFailed: ClientReply = {
  clientId: 'c',
  syncId: 1,
  ok: false,
  error: 'bad-request',
  why: { code: 'handler-failed', error: 'InjectedAppFault' },
};

/** The ok reply of running the request as txn 2 (the second copy), executed with CONTEXT. */
function okReply(h: History, reply?: unknown, txn = 2): ClientReply {
  h.executed({ kind: 'executed', txn, clientId: 'c', syncId: 1, ...CONTEXT }, 1);
  const ran = app.handle(app.init(), app.parseRequest(open), {
    nowMs: CONTEXT.nowMs,
    random: () => 0,
  });
  return { clientId: 'c', syncId: 1, ok: true, reply: reply ?? ran.reply, txn };
}

function finalState(): unknown {
  const ran = app.handle(app.init(), app.parseRequest(open), { nowMs: 0, random: () => 0 });
  return app.apply(app.init(), ran.update);
}

test('an ok reply after an error reply to the same request is replayed with its body', (t) => {
  const setup = clientAndHistory();
  const request = firstRequest(setup);
  t.deepEqual(request.body, open);
  setup.client.onReply(handlerFailed, 0);
  setup.client.onReply(okReply(setup.h), 0);
  setup.h.checkSequential(99, finalState(), app.version, 2);
  t.deepEqual(setup.h.violations, []);
  t.is(setup.h.acknowledged, 1);
});

test('a late ok reply that is not what the request gives is inconsistent', (t) => {
  const setup = clientAndHistory();
  firstRequest(setup);
  setup.client.onReply(handlerFailed, 0);
  setup.client.onReply(okReply(setup.h, { ok: false, error: 'account-exists' }), 0);
  setup.h.checkSequential(99, finalState(), app.version, 2);
  t.deepEqual(
    setup.h.violations.map((v) => v.kind),
    ['inconsistent-reply'],
  );
  t.regex(setup.h.violations[0]?.detail ?? '', /expected .*"balance":0.*, got .*account-exists/);
});

test('a late ok reply naming another transaction for an acknowledged request is a second execution', (t) => {
  const setup = clientAndHistory();
  firstRequest(setup);
  setup.client.onReply(okReply(setup.h), 0);
  setup.client.onReply(okReply(setup.h, undefined, 3), 0);
  t.deepEqual(
    setup.h.violations.map((v) => v.kind),
    ['executed-twice'],
  );
  t.is(setup.h.duplicated, 1);
});

test('an ok reply after a bad-request the pair recorded as a transaction is a second execution', (t) => {
  const setup = clientAndHistory();
  firstRequest(setup);
  setup.client.onReply({ ...handlerFailed, txn: 2 }, 0);
  setup.client.onReply(okReply(setup.h, undefined, 3), 0);
  t.deepEqual(
    setup.h.violations.map((v) => v.kind),
    ['executed-twice'],
  );
  t.is(setup.h.acknowledged, 0, 'a refusal is not an acknowledgement');
});
