/**
 * The set-up of the switch tests that stall a board or the wires mid-switch:
 * a CorePair whole on `from`, both boards holding `to` in their other slot,
 * the boot ROM (BootRom) and one retrying writer stepped on every step of
 * `runUntil`.
 */
import type { AnyApp } from '../../firmware/app.ts';
import type { DurableRegion } from '../../firmware/hal.ts';
import type { PairConfig } from '../../firmware/runtime/config.ts';
import { BootRom } from './boot-rom.ts';
import { CorePair } from './core-pair.ts';
import { RetryingWriter } from './retrying-writer.ts';

export interface SwitchingPair {
  readonly pair: CorePair;
  readonly writer: RetryingWriter;
  /** Runs until `done` holds, stepping the boot ROM and the writer; fails after `limitMs`. */
  runUntil(done: () => boolean, limitMs: number): void;
  /** The pair is whole on `to`, nothing on trial. */
  onTarget(): boolean;
}

export function switchingPair(
  from: AnyApp,
  to: AnyApp,
  config: Partial<PairConfig> = {},
  stores: readonly [DurableRegion | null, DurableRegion | null] = [null, null],
): SwitchingPair {
  const pair = new CorePair([from, from], config, stores);
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: to.version });
  pair.runUntil(() => pair.whole, 60_000);
  const rom = new BootRom(pair, from, to);
  const writer = new RetryingWriter(pair);
  return {
    pair,
    writer,
    runUntil: (done, limitMs) =>
      pair.runUntil(() => {
        rom.step();
        writer.step();
        return done();
      }, limitMs),
    onTarget: () =>
      pair.whole && pair.cores.every((c) => c?.hello.version === to.version && !c.hello.testMode),
  };
}
