/**
 * The part of johnny-five (2.1, CommonJS, no types of its own) the HIL rig
 * uses: a Board on a given IO plugin and Relay components.
 */
declare module 'johnny-five' {
  import type { EventEmitter } from 'node:events';

  export interface BoardOptions {
    /** An IO plugin (firmata-io's Firmata on our SerialPortStream). */
    readonly io: unknown;
    /** Never start johnny-five's REPL: it reads stdin. */
    readonly repl: false;
    /** No console logging of connect/ready. */
    readonly debug: false;
    /** No SIGINT handler of its own (it would exit the process). */
    readonly sigint: false;
    /** ms between the IO's connect and ready before johnny-five reports an error. */
    readonly timeout?: number;
    readonly id?: string;
  }

  export class Board extends EventEmitter {
    constructor(options: BoardOptions);
    readonly isReady: boolean;
    /** The connect-to-ready timer; cleared on ready. */
    timer: ReturnType<typeof setTimeout> | null;
    readonly MODES: { readonly OUTPUT: number; readonly INPUT: number };
    pinMode(pin: number, mode: number): this;
  }

  export interface RelayOptions {
    readonly pin: number;
    /** 'NC': the circuit is closed with the pin LOW (johnny-five inverts open/close). */
    readonly type: 'NO' | 'NC';
    readonly board: Board;
  }

  export class Relay {
    constructor(options: RelayOptions);
    readonly pin: number;
    readonly type: 'NO' | 'NC';
    readonly isClosed: boolean;
    /** Closes the circuit: writes HIGH for 'NO', LOW for 'NC'. */
    close(): this;
    /** Opens the circuit. */
    open(): this;
  }

  const five: { readonly Board: typeof Board; readonly Relay: typeof Relay };
  export default five;
}
