/**
 * Each engine's longest call into the image, the CPU a request costs, and XS's heap per processor,
 * for both of the states, alone (the same figures `tandem bench`
 * prints): one JSON line per engine and state with the summary and every
 * reading. XS is skipped, saying why, where it is not built.
 * Run: node --import tsx test/bench/engines.ts [node|xs] [--xs-heap BYTES] [--small]
 * (--xs-heap: XS boards in a fixed heap of that size; --small: the small state alone).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IMAGE_ENGINES, type ImageEngine } from '../../boards/image-engine.ts';
import { findXsnap } from '../../boards/xs/xsnap-cache.ts';
import {
  benchEngine,
  ENGINE_STATES,
  longestCalls,
  requestCost,
  summarizeXsHeap,
} from '../../host/bench/engine-bench.ts';
import { buildImage } from '../../host/image/build.ts';
import { generateKeys } from '../../host/image/keys.ts';

const { values, positionals: asked } = parseArgs({
  allowPositionals: true,
  options: { 'xs-heap': { type: 'string' }, small: { type: 'boolean', default: false } },
});
const xsHeapBytes = values['xs-heap'] === undefined ? undefined : Number(values['xs-heap']);
const states = ENGINE_STATES.filter((s) => !values.small || s.name === 'small');
const engines = IMAGE_ENGINES.filter((e) => asked.length === 0 || asked.includes(e));
const xs = findXsnap();
const root = mkdtempSync(join(tmpdir(), 'tandem-engines-'));
try {
  const keyDir = join(root, 'keys');
  generateKeys(keyDir);
  const { image } = await buildImage({ app: 'ledger', version: '1.0.0', boards: ['sim'], keyDir });
  const newer = await buildImage({ app: 'ledger', version: '2.0.0', boards: ['sim'], keyDir });
  for (const engine of engines as ImageEngine[]) {
    if (engine === 'xs' && !xs.available) {
      console.log(JSON.stringify({ engine, measured: false, reason: xs.reason }));
      continue;
    }
    for (const state of states) {
      const run = await benchEngine(
        {
          root,
          baud: 115200,
          image,
          newerImage: newer.image,
          publicKeyFile: join(keyDir, 'image-signing.pub'),
          engine,
          state,
          loadMs: 3000,
          seed: 1,
          ...(xsHeapBytes === undefined ? {} : { xsHeapBytes }),
        },
        (line) => console.error(line),
      );
      const summary = {
        calls: longestCalls(run),
        perRequest: requestCost(run),
        heap: summarizeXsHeap(run),
      };
      console.log(JSON.stringify({ ...run, summary }));
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
