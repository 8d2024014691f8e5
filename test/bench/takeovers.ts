/**
 * Takeovers alone (the same measurement `tandem bench` makes): power-pulls of
 * the primary under 8 clients' load, each from the pull to the first ok reply
 * from the survivor, split at the survivor's takeover. Prints one JSON line.
 * Run: node --import tsx test/bench/takeovers.ts [--count 20] [--baud 115200] [--shared-bus]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openBenchLab } from '../../host/bench/bench-lab.ts';
import { quantile, round } from '../../host/bench/figure.ts';
import { benchTakeovers } from '../../host/bench/takeover-bench.ts';
import { buildImage } from '../../host/image/build.ts';
import { generateKeys } from '../../host/image/keys.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20' },
    baud: { type: 'string', default: '115200' },
    'shared-bus': { type: 'boolean', default: false },
  },
});
const baud = Number(values.baud);
const root = mkdtempSync(join(tmpdir(), 'tandem-takeovers-'));
try {
  const keyDir = join(root, 'keys');
  generateKeys(keyDir);
  const { image } = await buildImage({ app: 'ledger', version: '1.0.0', boards: ['sim'], keyDir });
  const lab = await openBenchLab({
    root,
    baud,
    busShared: values['shared-bus'],
    image,
    publicKeyFile: join(keyDir, 'image-signing.pub'),
  });
  try {
    await lab.whole();
    const samples = await benchTakeovers(
      lab,
      { count: Number(values.count), clients: 8, seed: 3, settleMs: 400 },
      (line) => console.error(line),
    );
    const takeover = samples.flatMap((s) => (s.takeoverMs === null ? [] : [s.takeoverMs]));
    const detect = samples.flatMap((s) => (s.detectMs === null ? [] : [s.detectMs]));
    const rest = samples.flatMap((s) =>
      s.takeoverMs === null || s.detectMs === null ? [] : [s.takeoverMs - s.detectMs],
    );
    const at = (values: number[], q: number) => {
      const value = quantile(values, q);
      return value === null ? null : round(value, 1);
    };
    console.log(
      JSON.stringify({
        baud,
        sharedBus: values['shared-bus'],
        pulls: samples.length,
        answered: takeover.length,
        takeoverMs: { p50: at(takeover, 0.5), p90: at(takeover, 0.9), max: at(takeover, 1) },
        detectMsP50: at(detect, 0.5),
        takeoverToReplyMsP50: at(rest, 0.5),
      }),
    );
  } finally {
    await lab.close();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
