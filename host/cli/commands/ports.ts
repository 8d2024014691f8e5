/**
 * `tandem ports`: the serial ports this machine has, through
 * @serialport/bindings-cpp, with the stable /dev/serial/by-id name where
 * udev made one. On Linux the listing asks udevadm; where that is missing
 * (containers, minimal images) say so instead of failing.
 */
import { autoDetect } from '@serialport/bindings-cpp';
import type { PortInfo } from '@serialport/bindings-interface';
import { byIdNames, describePorts } from '../../target/port-list.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { formatColumns } from '../text-table.ts';

export const registerPorts: RegisterCommand = (program, finish) => {
  program
    .command('ports')
    .description(
      'List the serial ports of this machine: path, manufacturer, USB vendor and product ids, serial number, stable by-id name (for --port, pair files and board profiles).',
    )
    .option('--json', 'print one JSON array', false)
    .action(async (options: { json: boolean }) => {
      let listed: PortInfo[];
      try {
        listed = await autoDetect().list();
      } catch (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        process.stderr.write(
          missing
            ? 'tandem ports: cannot list ports here: udevadm is not installed (install udev), so name ports by path, e.g. /dev/ttyAMA1\n'
            : `tandem ports: cannot list ports: ${(error as Error).message}\n`,
        );
        finish(ExitCode.failure);
        return;
      }
      const ports = describePorts(listed, byIdNames());
      if (options.json) {
        process.stdout.write(`${JSON.stringify(ports)}\n`);
      } else if (ports.length === 0) {
        process.stdout.write('no serial ports found\n');
      } else {
        const rows = ports.map((p) => [
          p.path,
          p.manufacturer ?? '-',
          p.vendorId === null ? '-' : `${p.vendorId}:${p.productId ?? '?'}`,
          p.serialNumber ?? '-',
          p.byId ?? '-',
        ]);
        const table = formatColumns(['path', 'manufacturer', 'vid:pid', 'serial', 'by-id'], rows, [
          'left',
          'left',
          'left',
          'left',
          'left',
        ]);
        process.stdout.write(`${table.join('\n')}\n`);
      }
      finish(ExitCode.ok);
    });
};
