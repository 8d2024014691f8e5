/**
 * Both boards lose power under load, on the lab (real board processes, a
 * power pull is SIGKILL, each board's store a file synced on every write):
 * the ledger is `retained`, so after power comes back, to either board
 * first, the pair recovers from its stores by itself, and the clients'
 * history shows nothing acknowledged lost or done twice. Behaviour only:
 * `tandem demo --scenario blackout` measures the times.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { RESTORE_FIRST, runBlackoutDemo } from '../host/demo/blackout-demo.ts';
import { buildImage } from '../host/image/build.ts';
import { generateKeys } from '../host/image/keys.ts';
import { storeFile } from '../host/lab/lab-config.ts';
import { openLabLoad } from '../host/load/lab-load.ts';
import { waitForAnswer } from '../host/load/load-generator.ts';
import { answerStopAndCheck, type LabPair, roles, startLab } from './helpers/lab-pair.ts';

const root = mkdtempSync(join(tmpdir(), 'tandem-blackout-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

for (const restoreFirst of RESTORE_FIRST) {
  test.serial(
    `both boards pulled under load, the ${restoreFirst} restored first: the pair recovers from its stores, nothing acknowledged lost or done twice`,
    async (t) => {
      const keyDir = join(root, `keys-${restoreFirst}`);
      generateKeys(keyDir);
      const { image } = await buildImage({
        app: 'ledger',
        version: '1.0.0',
        boards: ['sim'],
        keyDir,
      });
      const result = await runBlackoutDemo({
        dir: join(root, `lab-${restoreFirst}`),
        publicKeyFile: join(keyDir, 'image-signing.pub'),
        baud: 921600,
        clients: 4,
        loadMs: 2000,
        seed: 7,
        say: (line) => t.log(line),
        image,
        restoreFirst,
        restoreGapMs: 500,
      });
      t.log(JSON.stringify(result));
      t.true(result.acknowledged > 0, 'the clients were answered');
      t.false(result.coldStart, 'no board started the ledger empty');
      t.not(result.recoveredTxn, null, 'a board recovered from its store');
      t.not(result.wholeMs, null, 'the pair became whole again');
      t.is(result.lost, 0);
      t.is(result.duplicated, 0);
      t.deepEqual(result.violations, []);
    },
  );
}

test.serial(
  'a primary that loses power inside a store write (a torn record) is taken over; after both boards are pulled the pair recovers, nothing acknowledged lost or done twice',
  async (t) => {
    const lab = await startLab({ flash: true });
    const opened = await openLabLoad(lab.config, 4, 11);
    try {
      const primary: 1 | 2 = roles(await lab.statuses())[0] === 'primary' ? 1 : 2;
      const backup: 1 | 2 = primary === 1 ? 2 : 1;
      opened.load.start();
      await waitForAnswer(opened.load.answers, 0, (a) => a.ok, 30_000);
      // A few records on: power dies inside a write, which is torn, and the board process ends.
      await lab.lab.request({ op: 'store-cut-at', board: primary, operation: 20 });
      const took = await lab.waitFor((s) => roles(s)[backup - 1] === 'primary-alone', 60_000);
      t.is(roles(took)[primary - 1], null, 'the cut board is off');
      const answered = opened.load.answers.length;
      await waitForAnswer(opened.load.answers, answered, (a) => a.ok, 30_000);
      // Then both go dark, and come back, the torn one first.
      await lab.lab.power(backup, false);
      const violations = await restoreAndCheck(lab, opened, [primary, backup]);
      t.true(opened.load.history.acknowledged > 0);
      t.is(opened.load.history.lost, 0);
      t.is(opened.load.history.duplicated, 0);
      t.deepEqual(violations, []);
    } finally {
      for (const port of opened.ports) await port.close().catch(() => {});
      await lab.close();
    }
  },
);

const xs = findXsnap();

(xs.available ? test.serial : test.skip)(
  `a board running its image in XS keeps its store too: both pulled under load and restored, nothing acknowledged lost or done twice${xs.available ? '' : ` (skipped: ${xs.reason})`}`,
  async (t) => {
    const lab = await startLab({ flash: true, engines: ['xs', 'node'] });
    const opened = await openLabLoad(lab.config, 4, 13);
    try {
      const primary: 1 | 2 = roles(await lab.statuses())[0] === 'primary' ? 1 : 2;
      opened.load.start();
      const answered = opened.load.answers.length;
      await waitForAnswer(opened.load.answers, answered, (a) => a.ok, 30_000);
      await sleep(500);
      await Promise.all([lab.lab.power(1, false), lab.lab.power(2, false)]);
      const violations = await restoreAndCheck(lab, opened, [primary === 1 ? 2 : 1, primary]);
      t.true(opened.load.history.acknowledged > 0);
      t.is(opened.load.history.lost, 0);
      t.is(opened.load.history.duplicated, 0);
      t.deepEqual(violations, []);
      t.deepEqual(
        (await lab.statuses()).map((s) => s?.engine?.kind),
        ['xs', 'node'],
        'P1 ran its image in XS',
      );
      const written = readFileSync(join(lab.config.dir, storeFile(1))).some((b) => b !== 0xff);
      t.true(written, "the XS board's writes reached its store file");
    } finally {
      for (const port of opened.ports) await port.close().catch(() => {});
      await lab.close();
    }
  },
);

/**
 * Powers both boards on in `order` (both are off), waits for the pair to
 * form and answer again, stops the load and checks its history against the
 * primary's final state; returns the violations.
 */
async function restoreAndCheck(
  lab: LabPair,
  opened: Awaited<ReturnType<typeof openLabLoad>>,
  order: readonly [1 | 2, 1 | 2],
): Promise<readonly string[]> {
  await lab.lab.power(order[0], true);
  await lab.lab.power(order[1], true);
  const whole = await lab.waitFor(
    (s) => roles(s).includes('primary') && roles(s).includes('backup'),
    60_000,
  );
  return answerStopAndCheck(lab, opened, whole);
}
