/**
 * The progress bar for a campaign, on stderr so stdout stays clean for the
 * summary or JSON. It is drawn only on a terminal: in CI, in pipes and with
 * --json nothing is drawn, and nothing ever waits for input.
 */
import { SingleBar } from 'cli-progress';
import { type SeedLine, violationCount } from '../simulator/seed-line.ts';

export interface CampaignProgress {
  /** Counts one finished seed. */
  seedDone(line: SeedLine): void;
  stop(): void;
}

const SILENT: CampaignProgress = { seedDone() {}, stop() {} };

export function campaignProgress(label: string, seeds: number, enabled: boolean): CampaignProgress {
  if (!enabled) return SILENT;
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {value}/{total} seeds | {rate} seeds/min | {violations} violations | eta {eta_formatted}`,
    barsize: 24,
    clearOnComplete: true,
    hideCursor: false,
  });
  const started = performance.now();
  let done = 0;
  let violations = 0;
  bar.start(seeds, 0, { rate: '-', violations: 0 });
  return {
    seedDone(line) {
      done += 1;
      violations += violationCount(line);
      const minutes = (performance.now() - started) / 60_000;
      const rate = minutes > 0 ? Math.round(done / minutes).toString() : '-';
      bar.update(done, { rate, violations });
    },
    stop() {
      bar.stop();
    },
  };
}

/** Draw progress only where someone is watching it. */
export function progressWanted(json: boolean): boolean {
  return !json && process.stderr.isTTY === true;
}
