/**
 * The serial ports of this machine as a user picks one for a pair: the
 * binding's listing (path, manufacturer, USB ids, serial number) and the
 * stable name udev gives the port under /dev/serial/by-id, which survives
 * replugging and reordering where /dev/ttyUSB0 does not.
 */
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { PortInfo } from '@serialport/bindings-interface';

export const BY_ID_DIR = '/dev/serial/by-id';

export interface SerialPortEntry {
  readonly path: string;
  readonly manufacturer: string | null;
  readonly vendorId: string | null;
  readonly productId: string | null;
  readonly serialNumber: string | null;
  /** The /dev/serial/by-id/ name of the port, where udev made one. */
  readonly byId: string | null;
}

/** Each device's /dev/serial/by-id name, by the device's real path; empty where there is none. */
export function byIdNames(dir: string = BY_ID_DIR): ReadonlyMap<string, string> {
  const names = new Map<string, string>();
  let links: string[];
  try {
    links = readdirSync(dir).sort();
  } catch {
    return names;
  }
  for (const link of links) {
    try {
      const device = realpathSync(join(dir, link));
      if (!names.has(device)) names.set(device, join(dir, link));
    } catch {
      // A dangling link: the device went away while we looked.
    }
  }
  return names;
}

export function describePorts(
  ports: readonly PortInfo[],
  byId: ReadonlyMap<string, string>,
): SerialPortEntry[] {
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  return ports.map((port) => ({
    path: port.path,
    manufacturer: port.manufacturer ?? null,
    vendorId: port.vendorId ?? null,
    productId: port.productId ?? null,
    serialNumber: port.serialNumber ?? null,
    byId: byId.get(real(port.path)) ?? null,
  }));
}
