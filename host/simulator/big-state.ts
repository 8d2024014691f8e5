/**
 * States of tens of kilobytes: a simulation module may offer, beside its
 * usual workload, one that makes the state grow (the ledger opens
 * thousands of accounts). The wide fault model hands it to one client in
 * the seeds that draw a big state; modules without one never draw it.
 */
import type { SimulationModule } from './app-module.ts';

export type BigStateWorkload = (random: () => number, accounts: number) => () => unknown;

export interface BigStateModule extends SimulationModule {
  /** A request generator that grows the state by about `accounts` records. */
  bigStateWorkload: BigStateWorkload;
}

export function bigStateWorkloadOf(module: SimulationModule): BigStateWorkload | undefined {
  const candidate = (module as Partial<BigStateModule>).bigStateWorkload;
  return typeof candidate === 'function' ? candidate.bind(module) : undefined;
}
