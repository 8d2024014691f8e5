/**
 * A board's view of one serial port: a SerialPortStream from
 * @serialport/stream, whatever binding carries it (the lab's simulated
 * binding, or bindings-cpp on real UARTs).
 */
import type { BindingInterface } from '@serialport/bindings-interface';
import { openSerialPort } from '../open-serial-port.ts';
import type { PortLink } from './board.ts';

export async function openPortLink(
  binding: BindingInterface,
  path: string,
  baudRate: number,
): Promise<PortLink> {
  const port = await openSerialPort(binding, path, baudRate);
  return {
    baud: baudRate,
    write: (bytes) => {
      port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
    onData: (handler) => {
      port.on('data', (chunk: Buffer) =>
        handler(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
      );
    },
    setDtr: (high) => {
      port.set({ dtr: high }, () => {});
    },
    drain: () => new Promise<void>((resolve) => port.drain(() => resolve())),
    dsr: () =>
      new Promise<boolean>((resolve) => {
        port.get((error, status) => resolve(!error && status?.dsr === true));
      }),
  };
}
