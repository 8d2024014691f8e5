/**
 * Which engine runs a board's image: Node's V8 in a sandboxed context
 * (boards/node/sandbox.ts) or Moddable's XS in an xsnap worker
 * (boards/xs/xs-image.ts). The boot ROM and the board support are the same
 * for both; only the call that starts a verified image differs.
 */
import type { Hal } from '../firmware/hal.ts';
import type { PairHandle } from '../firmware/pair-main.ts';
import type { Busy, CallMeter, LongestCalls } from './call-meter.ts';

export const IMAGE_ENGINES = ['node', 'xs'] as const;
export type ImageEngine = (typeof IMAGE_ENGINES)[number];

/**
 * What the board reports of the engine in `status`: its longest calls and
 * the time in them since power-on (across the resets of a switch, say), and
 * XS's own heap accounting since the engine started.
 */
export type EngineStatus =
  | { readonly kind: 'node'; readonly calls: LongestCalls; readonly busy: Busy }
  | {
      readonly kind: 'xs';
      readonly calls: LongestCalls;
      readonly busy: Busy;
      /** XS's heap in use (chunks, and slots at slotBytes each), read after a collection (one a second at most). */
      readonly heapInUseBytes: number;
      /** The most the heap held since the engine started (XS's chunk and slot peaks, summed). */
      readonly heapPeakBytes: number;
      /**
       * The heap XS's built-ins take before anything runs, included in the
       * two above: a Moddable device keeps them in flash (preloaded).
       */
      readonly builtinsBytes: number;
      /** Bytes of one slot on this build (32 on a 64-bit host, 16 on a 32-bit microcontroller). */
      readonly slotBytes: number;
      /** Bytes XS has taken from the system: the heap, slots reserved for growth, the stack. */
      readonly allocatedBytes: number;
      /** Bytecode run in place, outside the heap, as from a device's flash (engine glue and image). */
      readonly codeInPlaceBytes: number;
      /**
       * Of the stack's bytes: as deep as calls went (engine glue and image
       * loading included), and what XS's regular expressions and number
       * conversions borrowed of its free part as scratch.
       */
      readonly stackPeakBytes: number;
      readonly stackScratchBytes: number;
      readonly stackBytes: number;
    };

/** A started image, as the board holds it. */
export interface RunningImage extends PairHandle {
  engine(): EngineStatus;
  /** The board resets or powers off: the engine ends. */
  stop(): void;
}

/**
 * Starts a verified image's script with the HAL, timing its calls on the
 * board's `calls`; throws ImageStartError when it cannot start.
 */
export type ImageRunner = (
  payload: string,
  hal: Hal,
  overrides: Record<string, number | boolean>,
  calls: CallMeter,
) => RunningImage;
