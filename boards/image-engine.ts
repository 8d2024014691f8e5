/**
 * Which engine runs a board's image: Node's V8 in a sandboxed context
 * (boards/sim/sandbox.ts) or Moddable's XS in an xsnap worker
 * (boards/xs/xs-image.ts). The boot ROM and the board support are the same
 * for both; only the call that starts a verified image differs.
 */
import type { Hal } from '../firmware/hal.ts';
import type { PairHandle } from '../firmware/pair-main.ts';

export const IMAGE_ENGINES = ['node', 'xs'] as const;
export type ImageEngine = (typeof IMAGE_ENGINES)[number];

/** What the board reports of the engine in `status`: XS's own heap accounting. */
export type EngineStatus =
  | { readonly kind: 'node' }
  | {
      readonly kind: 'xs';
      /** Bytes XS has taken from the system (chunks and slots), now and at most since the image started. */
      readonly allocatedBytes: number;
      readonly allocatedBytesPeak: number;
      /** Slots in use after the last call into the engine, now and at most. */
      readonly slotsInUse: number;
      readonly slotsInUsePeak: number;
    };

/** A started image, as the board holds it. */
export interface RunningImage extends PairHandle {
  engine(): EngineStatus;
  /** The board resets or powers off: the engine ends. */
  stop(): void;
}

/** Starts a verified image's script with the HAL; throws ImageStartError when it cannot start. */
export type ImageRunner = (
  payload: string,
  hal: Hal,
  overrides: Record<string, number | boolean>,
) => RunningImage;
