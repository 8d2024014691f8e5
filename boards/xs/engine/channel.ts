/**
 * What crosses xsnap's message channel between the XS board's Node side
 * (boards/xs/xs-image.ts) and the engine side (engine-main.ts), as CBOR.
 * Node sends one command and waits; the engine runs the image and answers
 * with the IO calls the image made meanwhile, in order, and a result. While
 * it runs, the engine reaches the board's durable store by asking the board
 * (a store request, answered before the engine goes on), as a
 * microcontroller's firmware reads and programs its flash through the HAL:
 * the store's bytes stay on the board, never in the engine's heap.
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
  /** When the board's reset began, on the clock the commands' `now` reads. */
  readonly resetAtMs?: number;
  readonly fenceWired: boolean;
  readonly overrides: Record<string, number | boolean>;
  /** The geometry of the board's durable store, or null where it has none. */
  readonly store: StoreGeometry | null;
}

/** Most store bytes one request or answer carries: longer reads and writes cross in pieces of this. */
export const STORE_PIECE_BYTES_MAX = 4096;

/**
 * Most received bytes one data command carries. What a UART received while
 * the engine was busy crosses in pieces of this, each handled before the
 * next, the way a microcontroller's UART driver holds a backlog in its own
 * buffer, outside the engine's heap, and the program reads it a buffer at a
 * time: a backlog of several kilobytes (a joiner busy installing the big
 * checkpoint) never sits in the heap whole, copied at each layer.
 */
export const SERIAL_PIECE_BYTES_MAX = 512;

/**
 * Engine to board, in the middle of a command: one operation on the store.
 * The board carries it out at once, with the flash rules and power cuts of
 * its region; a write or erase is durable when its answer comes back, so
 * the IO calls that follow it (a reply waiting for it) leave after it.
 * A write crosses in pieces, in order, each with the write's offset; the
 * board gathers them and programs the last with the rest as one operation
 * (one operation, torn whole by a cut, as on the other boards).
 */
export type StoreRequest =
  | { readonly op: 'read'; readonly offset: number; readonly length: number }
  | {
      readonly op: 'write';
      readonly offset: number;
      readonly bytes: Uint8Array;
      /** More pieces of this write follow: gather, do not program yet. */
      readonly more: boolean;
    }
  | { readonly op: 'erase'; readonly block: number };

/** The board's answer: the bytes read (empty for a write or erase), or what the store threw. */
export type StoreAnswer =
  | { readonly bytes: Uint8Array }
  | {
      readonly error: {
        readonly code: string | null;
        /** The error's name ('StoreFaultError'), so that the image says what failed as on any board. */
        readonly name: string;
        readonly message: string;
      };
    };

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
  /** Collect XS's garbage, so that the next meter counts what is live (not a call into the image). */
  | { readonly op: 'collect' }
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
  | { readonly io: 'confirm' };

export interface Answer {
  readonly calls: readonly IoCall[];
  readonly result?: unknown;
  /** What the image threw, as text; the calls before it still stand. */
  readonly error?: string;
  /**
   * XS's computation units the command took outside this channel's codec
   * (its own message and answer, and its store requests'): what a device,
   * whose IO is native, would spend. Absent where the engine cannot read its meter.
   */
  readonly compute?: number;
  /**
   * The command's time by the engine's own clock, from its message read
   * until its answer is ready (its store requests' round trips included): the call
   * without the hop between the board and its worker, which a device does
   * not make. Absent where the engine has no clock.
   */
  readonly engineMs?: number;
}
