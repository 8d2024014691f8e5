/**
 * Switch hold time in the lab: under light client load, ledger 2.0.0 is
 * pushed into both boards' other slots, then the pair switches to it and
 * falls back to 1.0.0, `count` times each. Two views of each hold: the
 * boards' (`holdMs`: from the handshake, when new requests start to be
 * held, to the new primary serving, from their journals) and the clients'
 * (the longest any request waited while the switch ran, which adds the
 * ordinary wait of a request to the hold).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BoardRefusedError } from '../lab/board-client.ts';
import { pushImage } from '../lab/push.ts';
import { runSwitch, SwitchRefusedError } from '../lab/switch.ts';
import { openLabLoad } from '../load/lab-load.ts';
import type { BenchLab } from './bench-lab.ts';

export interface SwitchSample {
  readonly from: string;
  readonly to: string;
  readonly ok: boolean;
  /** The boards' hold: handshake (step e) to the new primary serving (step g). */
  readonly holdMs: number | null;
  /** The longest any client request waited while the switch ran. */
  readonly clientWaitMsMax: number;
  readonly failure: string | null;
}

export interface SwitchOptions {
  /** Switches and fallbacks, each. */
  readonly count: number;
  readonly clients: number;
  readonly seed: number;
  readonly settleMs: number;
}

export async function benchSwitches(
  lab: BenchLab,
  v2: Uint8Array,
  options: SwitchOptions,
  say: (line: string) => void = () => {},
): Promise<SwitchSample[]> {
  const { pair } = lab;
  await lab.whole();
  await pushImage(
    pair.hosts.map((client, index) => ({ processor: index === 0 ? 1 : 2, client })),
    v2,
    { publicKeys: pair.publicKeys, board: pair.config.board },
  );
  const { load, ports } = await openLabLoad(pair.config, options.clients, options.seed);
  const samples: SwitchSample[] = [];
  try {
    load.start();
    for (let i = 0; i < 2 * options.count; i++) {
      await lab.whole();
      await sleep(options.settleMs);
      const started = performance.now();
      const direction = i % 2 === 0 ? 'newer' : 'older';
      const sample: SwitchSample = await runSwitch(pair.hosts, { direction }).then(
        (report) => ({
          from: report.from,
          to: report.to,
          ok: report.ok,
          holdMs: report.holdMs,
          clientWaitMsMax: load.waitedMsMaxBetween(started, performance.now()),
          failure: report.failure,
        }),
        (error: unknown) => {
          // A refusal (the pair changed under us, say) is a result to report, not a crash.
          if (!(error instanceof SwitchRefusedError || error instanceof BoardRefusedError)) {
            throw error;
          }
          return {
            from: '?',
            to: direction === 'newer' ? '2.0.0' : '1.0.0',
            ok: false,
            holdMs: null,
            clientWaitMsMax: load.waitedMsMaxBetween(started, performance.now()),
            failure: `refused: ${error.message}`,
          };
        },
      );
      samples.push(sample);
      say(
        `${lab.baud} baud switch ${sample.from} -> ${sample.to}: ${sample.ok ? 'ok' : `FAILED (${sample.failure})`}, hold ${sample.holdMs?.toFixed(1)} ms, longest client wait ${sample.clientWaitMsMax.toFixed(1)} ms`,
      );
      if (!sample.ok) break;
    }
    await load.stop(5000);
  } finally {
    // After a failure the clients would retry for ever: abandon what is left.
    await load.stop(0);
    for (const port of ports) await port.close().catch(() => {});
  }
  return samples;
}
