/**
 * Opens a SerialPortStream (any binding: the lab's, bindings-cpp) and waits
 * until it is open. Errors after that surface through reads and writes, so
 * the stream's own error events are not allowed to crash the process.
 */
import type { BindingInterface } from '@serialport/bindings-interface';
import { SerialPortStream } from '@serialport/stream';

export async function openSerialPort(
  binding: BindingInterface,
  path: string,
  baudRate: number,
): Promise<SerialPortStream> {
  const port = new SerialPortStream({ binding, path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((error) => (error ? reject(error) : resolve())),
  );
  port.on('error', () => {});
  return port;
}

export function closeSerialPort(port: SerialPortStream): Promise<void> {
  return new Promise((resolve) => port.close(() => resolve()));
}
