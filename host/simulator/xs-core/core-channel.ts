/**
 * What crosses xsnap's channel between a simulated board's core in XS
 * (core-main.ts) and the world's side of it (xs-core.ts), in the channel
 * codec of the XS boards (boards/xs/engine/channel-codec.ts). Each input
 * is answered with the core's outputs and its readings after it.
 */
import type { CheckpointModel } from '../../../firmware/app.ts';
import type { StoreGeometry } from '../../../firmware/hal.ts';
import type { PairConfig } from '../../../firmware/runtime/config.ts';
import type { BootInfo } from '../../../firmware/runtime/core.ts';
import type { ClientRequest } from '../../../firmware/runtime/messages.ts';
import type { Output } from '../../../firmware/runtime/outputs.ts';
import type { SimCore, SimCoreReading } from '../sim-core.ts';

export type CoreCommand =
  | {
      readonly op: 'make';
      readonly config: PairConfig;
      /** A ledger release, as LEDGER_VERSIONS names it, under `name`. */
      readonly app: {
        readonly name: string;
        readonly version: string;
        readonly checkpoint: CheckpointModel;
      };
      readonly boot: BootInfo;
      readonly now: number;
      readonly store: StoreGeometry | null;
    }
  | {
      readonly op: 'bytes';
      readonly path: number;
      readonly bytes: Uint8Array;
      readonly now: number;
    }
  | { readonly op: 'dsr'; readonly path: number; readonly high: boolean; readonly now: number }
  | { readonly op: 'request'; readonly request: ClientRequest; readonly now: number }
  | { readonly op: 'other-image'; readonly version: string; readonly now: number }
  | { readonly op: 'switch'; readonly now: number }
  | { readonly op: 'tick'; readonly now: number }
  | { readonly op: 'state' };

/** The core's readings after an input, and when it next needs a tick. */
export type CoreReadings = Pick<SimCore, SimCoreReading> & { readonly nextWakeMs: number };

export interface CoreAnswer {
  readonly outputs: readonly Output[];
  readonly readings: CoreReadings | null;
  readonly result?: unknown;
  /** What the input threw, after the outputs it had put out. */
  readonly error?: string;
}
