import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageEngine } from '../../boards/image-engine.ts';
import type { BoardStatus } from '../../boards/management.ts';
import { buildImage } from '../../host/image/build.ts';
import { generateKeys } from '../../host/image/keys.ts';
import { labDown, labUp } from '../../host/lab/lab.ts';
import { openLabHosts } from '../../host/lab/lab-boards.ts';
import { LabClient } from '../../host/lab/lab-client.ts';
import { boardLogFile, type LabConfig } from '../../host/lab/lab-config.ts';
import { checkFinalState } from '../../host/load/final-state.ts';
import type { openLabLoad } from '../../host/load/lab-load.ts';
import { waitForAnswer } from '../../host/load/load-generator.ts';
import type { BoardClient } from '../../host/pair/board-client.ts';
import { readBoardStatuses, roleOf, waitForBoards } from '../../host/pair/board-watch.ts';
import { flashImage } from '../../host/pair/flash.ts';

/** A running lab with both boards flashed (ledger 1.0.0 by default) and the pair formed. */
export interface LabPair {
  readonly config: LabConfig;
  readonly lab: LabClient;
  readonly hosts: readonly [BoardClient, BoardClient];
  readonly keyDir: string;
  readonly image: Uint8Array;
  statuses(): Promise<(BoardStatus | null)[]>;
  waitFor(
    done: (s: (BoardStatus | null)[]) => boolean,
    timeoutMs?: number,
  ): Promise<(BoardStatus | null)[]>;
  close(): Promise<void>;
}

/** Fast lines keep flashing short; the protocol does not care. */
const TEST_BAUD = 921600;

export async function startLab(options: {
  flash: boolean;
  /** The app of the image flashed (a registered name or a module path): ledger 1.0.0 by default. */
  app?: string;
  baud?: number;
  /** The field bus's line rate, when it differs from `baud`. */
  busBaud?: number;
  paths?: 1 | 2;
  engines?: readonly [ImageEngine, ImageEngine];
  xsHeapBytes?: number;
}): Promise<LabPair> {
  const root = mkdtempSync(join(tmpdir(), 'tandem-lab-'));
  const keyDir = join(root, 'keys');
  generateKeys(keyDir);
  const { image } = await buildImage({
    app: options.app ?? 'ledger@1.0.0',
    boards: ['sim'],
    keyDir,
  });
  const dir = join(root, 'lab');
  const config = await labUp({
    dir,
    paths: options.paths ?? 2,
    baud: options.baud ?? TEST_BAUD,
    ...(options.busBaud === undefined ? {} : { busBaud: options.busBaud }),
    publicKeyFile: join(keyDir, 'image-signing.pub'),
    fresh: true,
    ...(options.engines === undefined ? {} : { engines: options.engines }),
    ...(options.xsHeapBytes === undefined ? {} : { xsHeapBytes: options.xsHeapBytes }),
  }).catch((error: unknown) => {
    // CI keeps no lab directory: say what the lab's processes said.
    throw new Error(`${String(error)}\n${logTails(dir)}`);
  });
  const hosts = await openLabHosts(config);
  const statuses = () => readBoardStatuses(hosts, 1000);
  const waitFor = async (done: (s: (BoardStatus | null)[]) => boolean, timeoutMs = 30_000) => {
    const reached = await waitForBoards(hosts, done, timeoutMs, 50);
    if (reached === null) {
      const now = await statuses();
      throw new Error(
        `lab did not reach the expected state: ${JSON.stringify(roles(now))}\n${logTails(dir)}`,
      );
    }
    return reached;
  };
  const pair: LabPair = {
    config,
    lab: new LabClient(config.dir),
    hosts,
    keyDir,
    image,
    statuses,
    waitFor,
    close: async () => {
      for (const host of hosts) await host.close().catch(() => {});
      await labDown(config.dir);
    },
  };
  try {
    await waitFor((s) => s.every((x) => x !== null));
    if (options.flash) {
      for (const host of hosts) await flashImage(host, image, () => {});
      await waitFor((s) => roles(s).includes('primary') && roles(s).includes('backup'));
    }
  } catch (error) {
    // A lab that did not come up is taken down: its boards would run on after the test.
    await pair.close();
    throw error;
  }
  return pair;
}

function logTails(dir: string): string {
  const files = ['daemon.log', boardLogFile(1), boardLogFile(2)];
  return files
    .map((file) => {
      const path = join(dir, file);
      const lines = existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n') : [];
      return `--- ${file} (last ${Math.min(lines.length, 20)} of ${lines.length} lines)\n${lines.slice(-20).join('\n')}`;
    })
    .join('\n');
}

export function roles(statuses: (BoardStatus | null)[]): (string | null)[] {
  return statuses.map(roleOf);
}

/**
 * Waits for the pair to answer again, stops the load and checks its
 * history against the serving board's final state (`whole`: the statuses
 * the pair was whole in); returns the violations.
 */
export async function answerStopAndCheck(
  lab: LabPair,
  opened: Awaited<ReturnType<typeof openLabLoad>>,
  whole: (BoardStatus | null)[],
): Promise<readonly string[]> {
  const resumed = opened.load.answers.length;
  await waitForAnswer(opened.load.answers, resumed, (a) => a.ok, 30_000);
  const done = await opened.load.stop(10_000);
  const serving = whole.findIndex((s) => s?.pair?.role === 'primary');
  const { violations } = await checkFinalState(
    opened.load.history,
    lab.hosts[serving === 1 ? 1 : 0],
    done,
  );
  return violations;
}
