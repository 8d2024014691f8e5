/**
 * A campaign over worker threads: each worker runs whole seeds, handed out
 * one at a time to whichever worker is free (seeds differ tenfold in
 * length), and the answers are added up in seed order, so the result is
 * the one a single thread gives, seed for seed.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerScriptFor } from '../code-location.ts';
import { type CampaignOptions, campaignIdentity, runCampaign } from './campaign.ts';
import { type CampaignResult, CampaignTally } from './campaign-tally.ts';
import type { WorkerAnswer, WorkerRequest, WorkerSetup } from './campaign-worker.ts';
import type { SeedLine } from './seed-line.ts';

/** Worker threads by default: one per core. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** Seeds handed out ahead of the first one not yet answered: bounds the lines held for ordering. */
export const SEEDS_AHEAD_MAX = 4096;

export interface PoolOptions extends CampaignOptions {
  /** Worker threads; 1 runs the seeds on this thread. */
  readonly workers: number;
  /** The --app module's path, which each worker loads itself; null for the ledger. */
  readonly appPath: string | null;
}

export async function runCampaignInWorkers(options: PoolOptions): Promise<CampaignResult> {
  const workers = Math.min(options.workers, options.seeds);
  if (workers <= 1) return runCampaign(options);
  const campaign = campaignIdentity(options);
  const setup: WorkerSetup = { campaign, appPath: options.appPath };
  const { script, eval: isEval } = workerScriptFor('campaign-worker');
  const end = options.startSeed + options.seeds;
  const tally = new CampaignTally();
  const answered = new Map<number, SeedLine>();
  const idle: Worker[] = [];
  const pool: Worker[] = [];
  let next = options.startSeed;
  let expected = options.startSeed;
  const started = performance.now();

  try {
    await new Promise<void>((resolve, reject) => {
      const dispatch = () => {
        while (idle.length > 0 && next < end && next - expected < SEEDS_AHEAD_MAX) {
          const request: WorkerRequest = { seed: next++ };
          (idle.pop() as Worker).postMessage(request);
        }
      };
      const onAnswer = (worker: Worker, { line }: WorkerAnswer) => {
        answered.set(line.seed, line);
        for (
          let ready = answered.get(expected);
          ready !== undefined;
          ready = answered.get(expected)
        ) {
          answered.delete(expected);
          expected += 1;
          tally.add(ready);
          options.onSeed?.(ready);
        }
        idle.push(worker);
        if (expected === end) resolve();
        else dispatch();
      };
      for (let w = 0; w < workers; w++) {
        const worker = new Worker(script, { eval: isEval, workerData: setup });
        worker.on('message', (answer: WorkerAnswer) => onAnswer(worker, answer));
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (expected < end) reject(new Error(`a simulator worker thread exited (code ${code})`));
        });
        pool.push(worker);
        idle.push(worker);
      }
      dispatch();
    });
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
  return tally.result(campaign, options.startSeed, performance.now() - started);
}
