/**
 * The hub process of a simulated lab:
 *
 *   node --import tsx host/lab/hub/main.ts --dir <labDir> --config <hub config .json>
 *
 * Listens on `<labDir>/hub.sock`, then writes `<labDir>/hub.pid` (so the pid
 * file's presence means "ready") and a line on stdout. Exits 0 on SIGTERM,
 * SIGINT or a `shutdown` control request, removing the socket and the pid
 * file; exits 2 on a bad argument or config, 1 if it cannot start.
 * The config format is in config.ts.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseHubConfig } from './config.ts';
import { type Hub, startHub } from './hub.ts';

export { type Hub, type HubOptions, startHub } from './hub.ts';

export const HUB_PID_NAME = 'hub.pid';

async function main(argv: string[]): Promise<number> {
  let dir: string;
  let configPath: string;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { dir: { type: 'string' }, config: { type: 'string' } },
      strict: true,
    });
    if (values.dir === undefined || values.config === undefined) {
      throw new Error('both --dir <labDir> and --config <file> are needed');
    }
    dir = resolve(values.dir);
    configPath = values.config;
  } catch (error) {
    process.stderr.write(`hub: ${(error as Error).message}\n`);
    return 2;
  }
  let config: ReturnType<typeof parseHubConfig>;
  try {
    config = parseHubConfig(JSON.parse(readFileSync(configPath, 'utf8')));
  } catch (error) {
    process.stderr.write(`hub: config ${configPath}: ${(error as Error).message}\n`);
    return 2;
  }
  let hub: Hub;
  try {
    hub = await startHub(config, dir, { log: (line) => process.stdout.write(`hub: ${line}\n`) });
  } catch (error) {
    process.stderr.write(`hub: ${(error as Error).message}\n`);
    return 1;
  }
  const pidFile = join(dir, HUB_PID_NAME);
  // Written whole, then renamed: whoever sees the file sees the pid.
  writeFileSync(`${pidFile}.tmp`, `${process.pid}\n`);
  renameSync(`${pidFile}.tmp`, pidFile);
  const stop = () => void hub.close();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await hub.closed;
  rmSync(pidFile, { force: true });
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`hub: ${String(error)}\n`);
      process.exit(70);
    },
  );
}
