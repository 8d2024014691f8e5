/**
 * `tandem bench-push`'s library: the goodput of a push against the line rate.
 * For each baud a fresh lab in a temporary directory, the ledger image built
 * and signed with a fresh key, pushed to both boards at once uncompressed
 * (into the empty boards) and then compressed (into the other slot, while
 * the pair runs). Each board's time runs from its push-begin sent to its
 * push-end answered; a row takes the slower board.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPublicKey } from '../../boards/image/public-key.ts';
import { buildImage } from '../image/build.ts';
import { generateKeys } from '../image/keys.ts';
import { labDown, labUp } from '../lab/lab.ts';
import { openLabHosts } from '../lab/lab-boards.ts';
import type { BoardClient } from '../pair/board-client.ts';
import { pushImage } from '../pair/push.ts';

export const DEFAULT_BENCH_BAUDS: readonly number[] = [115200, 921600];

export interface PushBenchRow {
  readonly baud: number;
  readonly compressed: boolean;
  /** Image bytes pushed to each board. */
  readonly bytes: number;
  /** push-data bytes on each board's line (deflated where compressed). */
  readonly sentBytes: number;
  readonly seconds: number;
  /** Image bytes a second: the effective rate when compressed. */
  readonly bytesPerSecond: number;
  /** baud / 10 (8N1). */
  readonly lineBytesPerSecond: number;
  readonly lineShare: number;
  /** Image bytes per byte sent. */
  readonly compressionRatio: number;
}

export async function benchPush(
  bauds: readonly number[],
  onRow: (row: PushBenchRow) => void = () => {},
): Promise<PushBenchRow[]> {
  const rows: PushBenchRow[] = [];
  for (const baud of bauds) {
    const root = mkdtempSync(join(tmpdir(), 'tandem-bench-push-'));
    const keyDir = join(root, 'keys');
    generateKeys(keyDir);
    const { image } = await buildImage({ app: 'ledger', boards: ['sim'], keyDir });
    const config = await labUp({
      dir: join(root, 'lab'),
      paths: 2,
      baud,
      publicKeyFile: join(keyDir, 'image-signing.pub'),
      fresh: true,
    });
    let clients: readonly BoardClient[] = [];
    try {
      clients = await openLabHosts(config);
      const targets = clients.map((client, index) => ({
        processor: (index + 1) as 1 | 2,
        client,
      }));
      for (const compressed of [false, true]) {
        const result = await pushImage(targets, image, {
          publicKeys: [loadPublicKey(config.publicKeyFile)],
          board: config.board,
          compress: compressed,
        });
        const slowest = result.boards.reduce((a, b) => (b.seconds > a.seconds ? b : a));
        const bytesPerSecond = slowest.bytes / slowest.seconds;
        const row: PushBenchRow = {
          baud,
          compressed,
          bytes: slowest.bytes,
          sentBytes: slowest.sentBytes,
          seconds: slowest.seconds,
          bytesPerSecond,
          lineBytesPerSecond: baud / 10,
          lineShare: bytesPerSecond / (baud / 10),
          compressionRatio: slowest.bytes / slowest.sentBytes,
        };
        rows.push(row);
        onRow(row);
      }
    } finally {
      for (const client of clients) await client.close();
      await labDown(config.dir);
      rmSync(root, { recursive: true, force: true });
    }
  }
  return rows;
}
