/**
 * A ledger of 1,500 accounts (about 52 KB of state) with the interconnect
 * at 115200, on the lab under client load (issue 9, defect 6: writes were
 * blocked for 8.9 s while a backup rejoined, and a switch failed at step f,
 * its time limit set by the line rate rather than by progress). A backup
 * that rejoins must not stop service for the length of the transfer, and a
 * switch and a fallback must go through; nothing lost, nothing done twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { wallClockMs } from '../boards/wall-clock.ts';
import { fillLedger } from '../host/load/fill-ledger.ts';
import { runUnderLoad } from '../host/load/load-run.ts';
import { runSwitch, type SwitchReport } from '../host/pair/switch.ts';
import { roles } from './helpers/lab-pair.ts';
import { startSwitchLab, underLoad } from './helpers/switch-lab.ts';

const ACCOUNTS = 1500;

test.serial(
  'a ledger of 1,500 accounts at 115200: a backup rejoins while writes go on, and a switch and a fallback go through, nothing lost',
  async (t) => {
    // A fast field bus fills the ledger quickly; the interconnect is the defect's 115200.
    const lab = await startSwitchLab('ledger@2.0.0', { baud: 115200, busBaud: 921600 });
    try {
      await fillLedger(lab.config, 0, ACCOUNTS, 61);

      const rejoin = await runUnderLoad(
        lab,
        async () => {
          const backup = roles(await lab.statuses())[0] === 'backup' ? 1 : 2;
          await sleep(300);
          await lab.lab.power(backup, false);
          await sleep(300);
          await lab.lab.power(backup, true);
          await lab.waitFor((s) => roles(s).includes('backup'), 120_000);
        },
        { clients: 4, seed: 62, settleTimeoutMs: 120_000 },
      );
      t.deepEqual(rejoin.violations, []);
      t.is(rejoin.load.history.lost, 0);
      t.is(rejoin.load.history.duplicated, 0);
      // From the primary's first round to the joiner it counts as its backup.
      const entries = rejoin.journal.entries;
      const start = entries.find(
        (e) => e.kind === 'role' && e.cause === 'big-checkpoint-to-joiner',
      );
      const end = entries.find(
        (e) =>
          e.kind === 'role' &&
          e.role === 'primary' &&
          e.processor === start?.processor &&
          e.atMs > (start?.atMs ?? Infinity),
      );
      if (start === undefined || end === undefined) return void t.fail('no rejoin in the journal');
      const acknowledged = rejoin.load.answers
        .filter((a) => a.ok)
        .map((a) => wallClockMs(a.atMs))
        .filter((atMs) => atMs > start.atMs && atMs < end.atMs);
      const times = [start.atMs, ...acknowledged, end.atMs];
      const longestGapMs = Math.max(...times.slice(1).map((atMs, i) => atMs - (times[i] ?? atMs)));
      const transferMs = end.atMs - start.atMs;
      t.log(
        `rejoin: ${transferMs.toFixed(0)} ms, ${acknowledged.length} writes acknowledged meanwhile, longest gap ${longestGapMs.toFixed(0)} ms`,
      );
      t.true(transferMs > 1000, 'the state took the line for a while');
      t.true(longestGapMs < transferMs / 2, 'writes went on while the joiner took the state');

      let up: SwitchReport | undefined;
      let down: SwitchReport | undefined;
      const switched = await underLoad(lab, async () => {
        up = await runSwitch(lab.hosts, { direction: 'newer', timeoutMs: 120_000 });
        down = await runSwitch(lab.hosts, { direction: 'older', timeoutMs: 120_000 });
      });
      t.true(up?.ok, JSON.stringify(up?.steps));
      t.true(down?.ok, JSON.stringify(down?.steps));
      t.deepEqual(switched.violations, []);
      t.is(switched.lost, 0);
      t.is(switched.duplicated, 0);
    } finally {
      await lab.close();
    }
  },
);
