/**
 * XS's heap per processor for both of the states, alone (the same
 * figures `tandem bench` prints): one JSON line per state with the summary
 * and every reading. Skips, saying why, where XS is not built.
 * Run: node --import tsx test/bench/xs-heap.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findXsnap } from '../../boards/xs/xsnap-cache.ts';
import { benchXsHeap, summarizeXsHeap, XS_HEAP_STATES } from '../../host/bench/xs-heap-bench.ts';
import { buildImage } from '../../host/image/build.ts';
import { generateKeys } from '../../host/image/keys.ts';

const xs = findXsnap();
if (!xs.available) {
  console.log(JSON.stringify({ measured: false, reason: xs.reason }));
} else {
  const root = mkdtempSync(join(tmpdir(), 'tandem-xs-heap-'));
  try {
    const keyDir = join(root, 'keys');
    generateKeys(keyDir);
    const { image } = await buildImage({
      app: 'ledger',
      version: '1.0.0',
      boards: ['sim'],
      keyDir,
    });
    for (const state of XS_HEAP_STATES) {
      const run = await benchXsHeap(
        {
          root,
          baud: 115200,
          image,
          publicKeyFile: join(keyDir, 'image-signing.pub'),
          state,
          loadMs: 3000,
          seed: 1,
        },
        (line) => console.error(line),
      );
      console.log(JSON.stringify({ ...run, summary: summarizeXsHeap(run) }));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
