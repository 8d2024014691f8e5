/**
 * A simulated client sends at most its pipeline depth of requests per think
 * time, however fast the pair answers. Each reply and each request sent
 * once began a think timer, so the timers multiplied and a pipelined client
 * sent as fast as answers came: a quarter of the wide model's seeds loaded
 * the pair about seven times as much as meant (seed 29790 sent some 10,000
 * requests a virtual second).
 */
import test from 'ava';
import type { ClientRequest } from '../firmware/runtime/messages.ts';
import { seededRandom } from '../firmware/runtime/random.ts';
import { SimClient } from '../host/simulator/sim-client.ts';

/** Requests a client sent in `runMs` of virtual time to a pair that answers each in `answerMs`. */
function sentIn(runMs: number, pipeline: number, thinkMsMax: number, answerMs: number): number {
  const timers: { atMs: number; run: () => void }[] = [];
  let now = 0;
  let sent = 0;
  const later = (delayMs: number, run: () => void) => timers.push({ atMs: now + delayMs, run });
  const client: SimClient = new SimClient(
    'c',
    {
      now: () => now,
      later,
      send: (_board, request: ClientRequest) => {
        if (request.syncId !== 0) sent += 1;
        later(answerMs, () => client.onReply({ ...request, ok: true, reply: null, txn: sent }, 0));
      },
      acknowledged: () => {},
      refused: () => {},
      waited: () => {},
    },
    () => ({ op: 'balance', account: 'a' }),
    seededRandom(7),
    { timeoutMs: 150, thinkMsMax, pipeline },
  );
  client.start();
  while (timers.length > 0) {
    timers.sort((a, b) => a.atMs - b.atMs);
    const next = timers.shift() as { atMs: number; run: () => void };
    if (next.atMs > runMs) break;
    now = next.atMs;
    next.run();
  }
  return sent;
}

test('a pipelined client sends about its depth per think time, not as fast as answers come', (t) => {
  // Four slots, thinking 80 ms on average: about 50 requests a second.
  const sent = sentIn(10_000, 4, 160, 0.5);
  t.log(`${sent} requests in 10 s of virtual time`);
  t.true(sent >= 250 && sent <= 750, `${sent} requests`);
});

test('one slot: one request per think time and round trip', (t) => {
  // Thinking 10 ms on average, answered in 0.5: about 95 requests a second.
  const sent = sentIn(10_000, 1, 20, 0.5);
  t.true(sent >= 700 && sent <= 1_200, `${sent} requests`);
});
