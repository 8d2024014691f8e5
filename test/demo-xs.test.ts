/**
 * The lab demonstrations with both boards' images in XS (`tandem demo
 * --engine xs`): the takeover demo, and the upgrade demo (push 2.0.0,
 * switch, pull the new primary, restore it, fall back to 1.0.0), each
 * passes with nothing acknowledged lost or done twice. Skips, saying why,
 * where XS is not built; where it is not, the demo refuses the engine with
 * exit 2 and says how to build it.
 *
 * The upgrade demo used to stop, safely, where an XS board on a loaded
 * machine was slower than limits made for Node allowed: the push's resyncs
 * ran out, one status read went unanswered, the switch's 3 s boot limit
 * passed, a stalled joiner gave up on statuses sent before its ask. Now a
 * resync that advances does not count, a status read is asked again within
 * a named patience, the boot limit scales with the partner's own last boot,
 * and a joiner judges only statuses that acknowledge its ask (see README,
 * "Boards on Moddable's XS engine").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { runCli } from './fixtures/run-cli.ts';

const xs = findXsnap();
const DEMO_TIMEOUT_MS = 240_000;

interface DemoJson {
  readonly acknowledged: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly violations: readonly string[];
  readonly finalVersions?: readonly (string | null)[];
}

for (const scenario of ['takeover', 'upgrade'] as const) {
  test.serial(
    `demo --scenario ${scenario} --engine xs: both boards in XS, nothing lost or done twice`,
    async (t) => {
      if (!xs.available) {
        t.log(`skipped: ${xs.reason}`);
        t.pass();
        return;
      }
      t.timeout(DEMO_TIMEOUT_MS + 10_000);
      const root = mkdtempSync(join(tmpdir(), 'tandem-demo-xs-'));
      t.teardown(() => rmSync(root, { recursive: true, force: true }));
      const run = await runCli(
        [
          'demo',
          '--scenario',
          scenario,
          '--engine',
          'xs',
          '--json',
          '--dir',
          join(root, 'lab'),
          '--load-ms',
          '2000',
        ],
        DEMO_TIMEOUT_MS,
      );
      t.is(run.code, 0, `${run.stdout}\n${run.stderr}`);
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as DemoJson;
      t.true(result.acknowledged > 0, run.stdout);
      t.is(result.lost, 0);
      t.is(result.duplicated, 0);
      t.deepEqual(result.violations, []);
      // The upgrade demo ends fallen back: both boards on 1.0.0.
      if (scenario === 'upgrade') t.deepEqual(result.finalVersions, ['1.0.0', '1.0.0']);
    },
  );
}

test('demo --engine xs where XS is not built: exit 2, saying how to build it, nothing started', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'tandem-no-xs-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const run = await runCli(
    ['demo', '--engine', 'xs', '--json', '--dir', join(cache, 'lab')],
    60_000,
    undefined,
    {
      XDG_CACHE_HOME: cache,
    },
  );
  t.is(run.code, 2, run.stderr);
  t.regex(run.stderr, /tandem demo: XS is not built on this machine.*npm run build:xs/);
  t.notRegex(run.stderr, /\n\s+at /, 'no stack trace');
});
