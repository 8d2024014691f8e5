/**
 * One direction of one interconnect path cut, and crossed one-way cuts, on
 * the lab at 115200 under client load (issue 9, defect 4: with path 0 cut
 * from the primary to the backup no write was acknowledged for as long as
 * the cut lasted, though the other path worked). Writes must go on through
 * the path that gets through, with no takeover, nothing lost or done twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type { CableDirection } from '../host/lab/cable-faults.ts';
import { cable } from '../host/lab/lab-config.ts';
import { runUnderLoad } from '../host/load/load-run.ts';
import { roles, startLab } from './helpers/lab-pair.ts';

const CUT_MS = 6000;
/** The pair may take this long to leave a path whose acknowledgements do not come back. */
const SETTLE_IN_CUT_MS = 2000;

const CUTS: readonly {
  readonly name: string;
  /** Each path cut, in the direction from the primary (true) or towards it. */
  readonly cuts: readonly { readonly path: 0 | 1; readonly fromPrimary: boolean }[];
}[] = [
  { name: 'path 0 cut from the primary to the backup', cuts: [{ path: 0, fromPrimary: true }] },
  { name: 'path 0 cut from the backup to the primary', cuts: [{ path: 0, fromPrimary: false }] },
  {
    name: 'crossed one-way cuts',
    cuts: [
      { path: 0, fromPrimary: true },
      { path: 1, fromPrimary: false },
    ],
  },
];

for (const { name, cuts } of CUTS) {
  test.serial(`${name}: writes go on, no takeover, nothing lost`, async (t) => {
    const lab = await startLab({ flash: true, baud: 115200 });
    try {
      const before = roles(await lab.statuses());
      // Side a of each cable is processor 1's.
      const primaryIsA = before[0] === 'primary';
      const direction = (fromPrimary: boolean): CableDirection =>
        fromPrimary === primaryIsA ? 'a-to-b' : 'b-to-a';
      let window = { fromMs: 0, toMs: 0 };
      const run = await runUnderLoad(
        lab,
        async () => {
          await sleep(500);
          for (const { path, fromPrimary } of cuts) {
            await lab.lab.request({
              op: 'cable',
              cable: cable.path(path),
              direction: direction(fromPrimary),
              faults: { cut: true },
            });
          }
          const cutAtMs = performance.now();
          await sleep(CUT_MS);
          window = { fromMs: cutAtMs + SETTLE_IN_CUT_MS, toMs: performance.now() };
          for (const { path } of cuts) {
            await lab.lab.request({ op: 'cable', cable: cable.path(path), restore: true });
          }
        },
        { clients: 4, seed: 41, settleTimeoutMs: 40_000 },
      );
      const inCut = run.load.answers.filter(
        (a) => a.ok && a.atMs >= window.fromMs && a.atMs <= window.toMs,
      ).length;
      t.log(`${inCut} writes acknowledged in the last ${CUT_MS - SETTLE_IN_CUT_MS} ms of the cut`);
      t.true(inCut > 0, 'writes were acknowledged while the cut lasted');
      t.deepEqual(roles([...(run.settled ?? [])]), before, 'no takeover');
      t.deepEqual(run.violations, []);
      t.is(run.load.history.lost, 0);
      t.is(run.load.history.duplicated, 0);
    } finally {
      await lab.close();
    }
  });
}
