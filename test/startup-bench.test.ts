/**
 * The start-up figures of `tandem bench`: `tandem --version` and `tandem
 * status` on a running lab both run to a clean exit, timed beside `node -e 0`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { benchStartup, startupFigures } from '../host/bench/startup-bench.ts';
import { generateKeys } from '../host/image/keys.ts';

test('start-up figures: --version and status against node -e 0', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-startup-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  generateKeys(join(root, 'keys'));
  const samples = await benchStartup({
    root,
    publicKeyFile: join(root, 'keys', 'image-signing.pub'),
    runs: 1,
  });
  t.deepEqual(
    samples.map((s) => s.command),
    ['tandem --version', 'tandem status'],
  );
  for (const s of samples) t.true(s.medianMs > 0 && s.nodeMedianMs > 0);
  const figures = startupFigures(samples);
  t.deepEqual(
    figures.map((f) => f.id),
    ['startup.version.ms', 'startup.version.ratio', 'startup.status.ms', 'startup.status.ratio'],
  );
  t.true(figures.every((f) => f.value !== null && f.value > 0));
});
