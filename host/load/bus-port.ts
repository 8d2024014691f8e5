/**
 * A client-side connection to one board's bus port: requests out as
 * frames, replies and announcements in.
 */

import { performance } from 'node:perf_hooks';
import type { BindingInterface } from '@serialport/bindings-interface';
import type { SerialPortStream } from '@serialport/stream';
import { closeSerialPort, openSerialPort } from '../../boards/open-serial-port.ts';
import {
  type BusMessage,
  busToWire,
  type ClientReply,
  type ClientRequest,
  parseBusMessage,
} from '../../firmware/runtime/messages.ts';
import { decodeCbor, encodeCbor } from '../../firmware/wire/cbor.ts';
import {
  byteTimeMs,
  encodeFrame,
  FRAME_CUT_SHORT_AFTER_MS,
  FRAME_OVERHEAD_BYTES,
  FrameDecoder,
} from '../../firmware/wire/frame.ts';

export interface BusHandlers {
  /** A reply arrived in a frame of `frameBytes` on the line. */
  reply(reply: ClientReply, frameBytes: number): void;
  announce(): void;
}

export class BusPort {
  // A board that lost power mid-reply must not hide the next board's announcement.
  readonly #decoder: FrameDecoder;

  private constructor(
    readonly port: SerialPortStream,
    handlers: BusHandlers,
  ) {
    this.#decoder = new FrameDecoder({
      cutShortAfterMs: FRAME_CUT_SHORT_AFTER_MS,
      byteTimeMs: byteTimeMs(port.baudRate),
    });
    port.on('data', (chunk: Buffer) => {
      for (const event of this.#decoder.push(new Uint8Array(chunk), performance.now())) {
        if (event.kind !== 'frame') continue;
        let message: BusMessage;
        try {
          message = parseBusMessage(decodeCbor(event.payload));
        } catch {
          continue;
        }
        if (message.kind === 'reply') {
          handlers.reply(message.reply, event.payload.length + FRAME_OVERHEAD_BYTES);
        } else if (message.kind === 'announce') handlers.announce();
      }
    });
  }

  static async open(
    binding: BindingInterface,
    path: string,
    baudRate: number,
    handlers: BusHandlers,
  ): Promise<BusPort> {
    const port = await openSerialPort(binding, path, baudRate);
    return new BusPort(port, handlers);
  }

  send(request: ClientRequest): void {
    this.port.write(Buffer.from(encodeFrame(encodeCbor(busToWire({ kind: 'request', request })))));
  }

  close(): Promise<void> {
    return closeSerialPort(this.port);
  }
}
