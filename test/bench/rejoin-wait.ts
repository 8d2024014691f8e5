/**
 * How long a write waits while a backup rejoins a big state, in virtual
 * time on two cores back to back (test/helpers/core-pair.ts) at 115200: one
 * writer sends a request every 10 ms after each reply, from the moment the
 * backup asks to join until it holds the big checkpoint. Prints one JSON
 * line per state size. Run: node --import tsx test/bench/rejoin-wait.ts
 */
import { bulkApp } from '../helpers/bulk-app.ts';
import { CorePair } from '../helpers/core-pair.ts';

for (const bytes of [10_000, 52_000, 175_000]) {
  const app = bulkApp(bytes);
  const pair = new CorePair([app, app], { heartbeatIntervalMs: 50 });
  pair.runUntil(() => pair.whole, 200_000);
  pair.powerOff(1);
  pair.runUntil(() => pair.core(0).role === 'primary-alone');
  pair.boot(1);
  pair.runUntil(() => pair.cores[1]?.role === 'joining');
  const t0 = pair.nowMs;
  const waits: number[] = [];
  let syncId = 0;
  while (pair.cores[1]?.role !== 'backup' && pair.nowMs - t0 < 200_000) {
    const s = pair.nowMs;
    const n = pair.replies.length;
    pair.request(0, 'w', ++syncId, null);
    pair.runUntil(() => pair.replies.length > n, 200_000);
    waits.push(pair.nowMs - s);
    pair.run(10);
  }
  waits.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      stateBytes: bytes,
      transferMs: pair.nowMs - t0,
      writes: waits.length,
      p50: waits[Math.floor(waits.length / 2)],
      max: waits.at(-1),
    }),
  );
}
