/**
 * A worker thread of a campaign (see campaign-pool.ts): it loads the
 * simulation module once, then runs each seed it is sent and answers with
 * the seed's line. Seeds replay exactly wherever they run: a seed's world
 * depends on nothing but its options.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadSimulationModule } from './app-module.ts';
import { runCampaignSeed } from './campaign.ts';
import ledgerSimulation from './ledger-simulation.ts';
import type { CampaignIdentity, SeedLine } from './seed-line.ts';

/** What the pool hands each worker when it starts it. */
export interface WorkerSetup {
  readonly campaign: CampaignIdentity;
  /** The --app module to load, or null for the ledger. */
  readonly appPath: string | null;
}

export type WorkerRequest = { readonly seed: number };
export type WorkerAnswer = { readonly line: SeedLine };

const port = parentPort;
if (port === null) throw new Error('campaign-worker.ts runs only as a worker thread');
const setup = workerData as WorkerSetup;
const module =
  setup.appPath === null ? ledgerSimulation : await loadSimulationModule(setup.appPath);
port.on('message', ({ seed }: WorkerRequest) => {
  const answer: WorkerAnswer = { line: runCampaignSeed(setup.campaign, module, seed) };
  port.postMessage(answer);
});
