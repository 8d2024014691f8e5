/**
 * A client moves to the board that refuses it `not-primary` only when that
 * board is the one it sends to. At a switch, an announcement of the new
 * primary and the old primary's refusal of a request sent just before can
 * cross: taken as it came, the refusal moved the client back to the old
 * primary, which was rebooting, and its next request waited out the
 * timeout (the lab's switches at 4,000 accounts, 514 ms, three runs in three).
 */
import test from 'ava';
import type { ClientReply, ClientRequest } from '../firmware/runtime/messages.ts';
import { seededRandom } from '../firmware/runtime/random.ts';
import { SimClient } from '../host/simulator/sim-client.ts';

function client() {
  const sent: { board: 0 | 1; request: ClientRequest }[] = [];
  const timers: (() => void)[] = [];
  const simClient = new SimClient(
    'c',
    {
      now: () => 0,
      later: (_delayMs, run) => timers.push(run),
      send: (board, request) => sent.push({ board, request }),
      acknowledged: () => {},
      refused: () => {},
      waited: () => {},
    },
    () => ({ op: 'balance', account: 'a' }),
    seededRandom(3),
    { timeoutMs: 500, thinkMsMax: 0 },
  );
  simClient.start();
  const registration = sent[0]?.request as ClientRequest;
  simClient.onReply({ ...registration, ok: true, reply: null, txn: 1 }, 0);
  for (const run of timers.splice(0)) run();
  return { simClient, sent, timers };
}

const notPrimary = (request: ClientRequest, processor: 1 | 2): ClientReply => ({
  clientId: request.clientId,
  syncId: request.syncId,
  ok: false,
  error: 'not-primary',
  why: { code: 'not-serving', processor, role: 'switching' },
});

test('a refusal from the board it left after an announcement keeps the client on the announced primary', (t) => {
  const { simClient, sent } = client();
  const first = sent.at(-1);
  if (first === undefined) return t.fail('no request sent');
  t.is(first.board, 0);
  simClient.onAnnounce(1);
  t.is(sent.at(-1)?.board, 1, 'the request goes again to the announced primary');
  simClient.onReply(notPrimary(first.request, 1), 0);
  t.is(simClient.target, 1);
});

test('a refusal from the board it sends to moves the client to the other board', (t) => {
  const { simClient, sent, timers } = client();
  const first = sent.at(-1);
  if (first === undefined) return t.fail('no request sent');
  simClient.onReply(notPrimary(first.request, 1), 0);
  t.is(simClient.target, 1);
  // The retry a few milliseconds on, not the request's timeout.
  timers.pop()?.();
  t.is(sent.at(-1)?.board, 1, 'tried again on the other board');
});
