import type { PairCore } from '../../firmware/runtime/core.ts';

/** Every way in to a core: each is one call into the image on a board. */
const ENTRY_POINTS = ['tick', 'receiveBytes', 'setDsr', 'request', 'requests'] as const;

/** Runs `around` around every call into `core`: it gets the entry point's name and the call itself. */
export function aroundEachCall(
  core: PairCore,
  around: (name: (typeof ENTRY_POINTS)[number], call: () => unknown) => unknown,
): void {
  const calls = core as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ENTRY_POINTS) {
    const call = calls[name]?.bind(core);
    if (call === undefined) throw new Error(`no ${name} on the core`);
    calls[name] = (...args: unknown[]) => around(name, () => call(...args));
  }
}
