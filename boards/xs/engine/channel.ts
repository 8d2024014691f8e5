/**
 * What crosses xsnap's message channel between the XS board's Node side
 * (boards/xs/xs-image.ts) and the engine side (engine-main.ts), as CBOR.
 * Node sends one command and waits; the engine runs the image and answers
 * with the IO calls the image made meanwhile, in order, and a result.
 */
import type { StoreGeometry } from '../../../firmware/hal.ts';
import type { PairEvent } from '../../../firmware/runtime/outputs.ts';
import type { CborLimits } from '../../../firmware/wire/cbor.ts';

/** The channel carries state reads and big answers: bounds of a board's RAM, not of a wire frame. */
export const CHANNEL_CBOR_LIMITS: Readonly<CborLimits> = Object.freeze({
  bytesMax: 4 * 1024 * 1024,
  depthMax: 32,
  itemsMax: 1024 * 1024,
});

/** A port on the channel: interconnect paths 0 and up, the bus -1. */
export const BUS_PORT = -1;

export interface StartShape {
  readonly processor: 1 | 2;
  readonly paths: number;
  readonly incarnation: number;
  readonly testMode: boolean;
  readonly otherVersion: string;
  readonly seed: number;
  readonly fenceWired: boolean;
  readonly overrides: Record<string, number | boolean>;
  /**
   * The board's durable store as it rests at boot, or null: the engine keeps
   * a copy to read from (the channel has no synchronous read) and sends every
   * write and erase back as an IO call, carried out in order before what
   * follows it (a reply never leaves before the store write it waits for).
   */
  readonly store: { readonly geometry: StoreGeometry; readonly bytes: Uint8Array } | null;
}

/** Node to engine. `now` is the board clock when the command was sent. */
export type Command = { readonly now: number } & (
  | { readonly op: 'start'; readonly shape: StartShape; readonly dsr: readonly boolean[] }
  | { readonly op: 'data'; readonly port: number; readonly bytes: Uint8Array }
  | { readonly op: 'dsr'; readonly port: number; readonly high: boolean }
  | { readonly op: 'wake' }
  | { readonly op: 'status' }
  | { readonly op: 'state' }
  | { readonly op: 'switch' }
  | { readonly op: 'other-image'; readonly version: string }
);

/** An IO call the image made, for the Node side to carry out. */
export type IoCall =
  | { readonly io: 'write'; readonly port: number; readonly bytes: Uint8Array }
  | { readonly io: 'dtr'; readonly port: number; readonly high: boolean }
  /** The earliest pending engine timer, as a board clock reading; replaces the previous one. */
  | { readonly io: 'wake'; readonly atMs: number }
  | {
      readonly io: 'digital';
      readonly pin: 'fence' | 'run' | 'primary' | 'fault';
      readonly value: 0 | 1;
    }
  | { readonly io: 'log'; readonly line: string }
  | { readonly io: 'record'; readonly event: PairEvent; readonly atMs: number }
  | { readonly io: 'reboot'; readonly choice: 'other-test' | 'confirmed' }
  /** A store write or erase the engine's copy already took; the board makes it durable. */
  | { readonly io: 'store-write'; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly io: 'store-erase'; readonly block: number }
  | { readonly io: 'confirm' };

export interface Answer {
  readonly calls: readonly IoCall[];
  readonly result?: unknown;
  /** What the image threw, as text; the calls before it still stand. */
  readonly error?: string;
}
