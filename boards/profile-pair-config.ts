/**
 * What a board profile sets of its pair's configuration: the line rate and
 * wiring, the failure-detection timing, and the limits (its class's, then
 * its own). The rest keeps the pair's defaults (`firmware/runtime/config.ts`).
 */
import type { PairConfig } from '../firmware/runtime/config.ts';
import { MICROCONTROLLER_LIMITS } from './microcontroller-limits.ts';
import type { BoardLimits, BoardProfile } from './profile.ts';

/** The limits a profile's `limits` gives: its class's, then those it sets. */
export function limitsOf(limits: BoardLimits = {}): Partial<PairConfig> {
  const { class: boardClass = 'linux', ...own } = limits;
  return { ...(boardClass === 'microcontroller' ? MICROCONTROLLER_LIMITS : {}), ...own };
}

export function profilePairConfig(profile: BoardProfile): Partial<PairConfig> {
  const { timing, lines } = profile;
  return {
    ...(profile.interconnect[0] === undefined ? {} : { baud: profile.interconnect[0].baud }),
    busBaud: profile.bus.baud,
    dsrWired: lines.dsrFromPartner,
    busShared: lines.busShared === true,
    ...(timing?.heartbeatIntervalMs === undefined
      ? {}
      : { heartbeatIntervalMs: timing.heartbeatIntervalMs }),
    ...(timing?.suspectMissCount === undefined
      ? {}
      : { suspectMissCount: timing.suspectMissCount }),
    ...limitsOf(profile.limits),
  };
}
