/**
 * The host's side of a board's management port: requests out, answers
 * matched by id, over a SerialPortStream.
 */

import { performance } from 'node:perf_hooks';
import type { BindingInterface } from '@serialport/bindings-interface';
import type { SerialPortStream } from '@serialport/stream';
import type { ManagementReply } from '../../boards/management.ts';
import { closeSerialPort, openSerialPort } from '../../boards/open-serial-port.ts';
import { decodeCbor, encodeCbor } from '../../firmware/wire/cbor.ts';
import {
  byteTimeMs,
  encodeFrame,
  FRAME_CUT_SHORT_AFTER_MS,
  FrameDecoder,
} from '../../firmware/wire/frame.ts';

type Request = Record<string, unknown> & { op: string };

export class BoardNotAnsweringError extends Error {
  readonly boardNotAnswering = true;
  override name = 'BoardNotAnsweringError';
}

export class BoardRefusedError extends Error {
  readonly boardRefused = true;
  override name = 'BoardRefusedError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class BoardClient {
  #nextId = 1;
  readonly #waiting = new Map<number, (reply: ManagementReply) => void>();
  // A board that lost power mid-answer must not hide its answers after the restart.
  readonly #decoder: FrameDecoder;

  private constructor(
    readonly port: SerialPortStream,
    readonly label: string,
  ) {
    this.#decoder = new FrameDecoder({
      cutShortAfterMs: FRAME_CUT_SHORT_AFTER_MS,
      byteTimeMs: byteTimeMs(port.baudRate),
    });
    port.on('data', (chunk: Buffer) => {
      for (const event of this.#decoder.push(new Uint8Array(chunk), performance.now())) {
        if (event.kind !== 'frame') continue;
        try {
          const reply = decodeCbor(event.payload) as ManagementReply;
          this.#waiting.get(reply.id)?.(reply);
          this.#waiting.delete(reply.id);
        } catch {
          // A damaged answer: the request times out and says so.
        }
      }
    });
  }

  static async open(
    binding: BindingInterface,
    path: string,
    baudRate: number,
    label: string,
  ): Promise<BoardClient> {
    const port = await openSerialPort(binding, path, baudRate);
    return new BoardClient(port, label);
  }

  request(request: Request, timeoutMs = 2000): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(
          new BoardNotAnsweringError(
            `${this.label} did not answer ${request.op} within ${timeoutMs} ms (powered off?)`,
          ),
        );
      }, timeoutMs);
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.ok) resolve(reply.result);
        else reject(new BoardRefusedError(reply.error, `${this.label}: ${reply.message}`));
      });
      this.port.write(Buffer.from(encodeFrame(encodeCbor({ id, ...request }))));
    });
  }

  close(): Promise<void> {
    return closeSerialPort(this.port);
  }
}
