/**
 * `tandem status` shows each board's durable store on the lab (real board
 * processes, each store a file): its geometry, where the retained ledger's
 * log stands in it, the transaction and term it holds, and the writes and
 * erases the board counted since power-on. After load the store holds what
 * the board acknowledged: the txn it reports is the board's own.
 */
import test from 'ava';
import type { BoardStatus } from '../boards/management.ts';
import { LAB_STORE } from '../host/lab/lab.ts';
import { openLabLoad } from '../host/load/lab-load.ts';
import { waitForAnswer } from '../host/load/load-generator.ts';
import { runCli } from './fixtures/run-cli.ts';
import { startLab } from './helpers/lab-pair.ts';

test.serial(
  'status reports each store: geometry, log position, the txn it holds, writes',
  async (t) => {
    const lab = await startLab({ flash: true });
    try {
      const opened = await openLabLoad(lab.config, 4, 5);
      try {
        opened.load.start();
        await waitForAnswer(opened.load.answers, 20, (a) => a.ok, 30_000);
        await opened.load.stop(10_000);
      } finally {
        for (const port of opened.ports) await port.close().catch(() => {});
      }
      // Both boards applied the last acknowledged request before it was answered.
      await lab.waitFor((s) => s[0]?.pair?.txn === s[1]?.pair?.txn);
      // A management port has one owner: the CLI's from here on.
      for (const host of lab.hosts) await host.close();
      const json = await runCli(['status', '--json', '--dir', lab.config.dir], 120_000);
      t.is(json.code, 0, json.stderr);
      const statuses = JSON.parse(json.stdout) as BoardStatus[];
      for (const status of statuses) {
        const { store, pair } = status;
        t.deepEqual(store?.geometry, LAB_STORE, `P${status.processor} reports its geometry`);
        t.true((store?.sincePowerOn.writes ?? 0) > 0, `P${status.processor} counted writes`);
        t.true((store?.sincePowerOn.bytesWritten ?? 0) >= (store?.sincePowerOn.writes ?? 0) * 16);
        t.is(store?.sincePowerOn.erasesByBlock.length, LAB_STORE.blockCount);
        t.false(pair?.durable?.refused ?? true, `P${status.processor} keeps its log`);
        t.is(pair?.durable?.held?.txn, pair?.txn, `P${status.processor}'s store holds its txn`);
        t.is(pair?.durable?.held?.term, pair?.term);
        const position = pair?.durable?.position;
        t.true(
          (position?.usedBytes ?? 0) > 0 &&
            (position?.usedBytes ?? 0) <= (position?.areaBytes ?? 0),
        );
      }
      const human = await runCli(['status', '--dir', lab.config.dir], 120_000);
      t.is(human.code, 0, human.stderr);
      t.log(human.stdout);
      const txn = statuses[0]?.pair?.txn;
      for (const p of [1, 2]) {
        t.regex(human.stdout, new RegExp(`P${p} store: 16 blocks of 64 KiB \\(1 MiB\\)`));
      }
      t.regex(human.stdout, new RegExp(`holds txn ${txn} of term \\d+`));
      t.regex(human.stdout, /since power-on: \d+ writes/);
    } finally {
      await lab.close();
    }
  },
);
