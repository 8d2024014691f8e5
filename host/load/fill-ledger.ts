/**
 * A ledger grown to a size through the field bus, as its clients would grow
 * it: for the benchmarks and tests that need a big state on the lab.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabConfig } from '../lab/lab-config.ts';
import { openLabLoad } from './lab-load.ts';

/** Clients that fill the ledger: one request each outstanding, no think time. */
const FILL_CLIENTS = 32;
const FILL_TIMEOUT_MS = 10 * 60_000;

/**
 * Opens accounts `acct-<from>` to `acct-<to - 1>` through the field bus,
 * FILL_CLIENTS at a time with no think time; then every client asks
 * balances until the load stops.
 */
export async function fillLedger(
  config: LabConfig,
  from: number,
  to: number,
  seed: number,
): Promise<void> {
  let next = from;
  const { load, ports } = await openLabLoad(
    config,
    FILL_CLIENTS,
    seed,
    { thinkMsMax: 0, timeoutMs: 5000 },
    undefined,
    () => () =>
      next < to ? { op: 'open', account: `acct-${next++}` } : { op: 'balance', account: 'acct-0' },
  );
  try {
    load.start();
    const deadline = performance.now() + FILL_TIMEOUT_MS;
    while (next < to && performance.now() < deadline) await sleep(50);
    if (next < to) throw new Error(`the ledger reached ${next} of ${to} accounts in 10 minutes`);
    await load.stop(10_000);
  } finally {
    await load.stop(0);
    for (const port of ports) await port.close().catch(() => {});
  }
}
