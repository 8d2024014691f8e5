/**
 * `tandem ports`: the serial ports this machine has, through
 * @serialport/bindings-cpp. On Linux the listing asks udevadm; where that is
 * missing (containers, minimal images) say so instead of failing.
 */
import { autoDetect } from '@serialport/bindings-cpp';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';

export const registerPorts: RegisterCommand = (program, finish) => {
  program
    .command('ports')
    .description('List the serial ports of this machine (for board profiles).')
    .option('--json', 'print one JSON array', false)
    .action(async (options: { json: boolean }) => {
      let ports: Array<{ path: string; manufacturer?: string | undefined }>;
      try {
        ports = await autoDetect().list();
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
      process.stdout.write(
        options.json
          ? `${JSON.stringify(ports)}\n`
          : ports.length === 0
            ? 'no serial ports found\n'
            : `${ports.map((p) => `${p.path}${p.manufacturer ? `  ${p.manufacturer}` : ''}`).join('\n')}\n`,
      );
      finish(ExitCode.ok);
    });
};
