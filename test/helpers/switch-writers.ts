/**
 * Writers throughout a switch: `count` RetryingWriters on a pair whose
 * boards hold `to` in their other slot, stepped with the boot ROM that
 * boots it. Returns once every writer has registered.
 */
import type { AnyApp } from '../../firmware/app.ts';
import { BootRom } from './boot-rom.ts';
import type { CorePair } from './core-pair.ts';
import { RetryingWriter } from './retrying-writer.ts';

export function registeredWriters(
  pair: CorePair,
  from: AnyApp,
  to: AnyApp,
  count: number,
): { readonly writers: readonly RetryingWriter[]; readonly step: () => void } {
  const rom = new BootRom(pair, from, to);
  const writers = Array.from({ length: count }, (_, i) => new RetryingWriter(pair, `w${i}`));
  const step = () => {
    rom.step();
    for (const writer of writers) writer.step();
  };
  pair.runUntil(() => {
    step();
    return writers.every((w) => w.registered);
  }, 10_000);
  return { writers, step };
}
