/**
 * The part of firmata-io (2.3, CommonJS, no types) the HIL rig uses: the
 * Firmata class constructed on a transport we opened (a SerialPortStream).
 */
declare module 'firmata-io' {
  import type { EventEmitter } from 'node:events';

  export interface FirmataPin {
    readonly supportedModes: readonly number[];
    mode?: number;
    value: number;
    analogChannel?: number;
  }

  export interface FirmataOptions {
    /** ms to wait for the board's own version report before asking for it. */
    readonly reportVersionTimeout?: number;
  }

  export class Firmata extends EventEmitter {
    /** `transport`: any duplex with `write(buffer, cb)` and open/data/close/error events. */
    constructor(transport: object, options?: FirmataOptions);
    readonly isReady: boolean;
    readonly pins: readonly FirmataPin[];
    readonly MODES: { readonly INPUT: number; readonly OUTPUT: number };
    readonly firmware: { readonly name?: string };
    /** Writes handed to the transport whose callback has not run yet. */
    readonly pending: number;
    readonly reportVersionTimeoutId: ReturnType<typeof setTimeout>;
  }

  const bindTransport: { (transport: unknown): typeof Firmata; readonly Firmata: typeof Firmata };
  export default bindTransport;
}
