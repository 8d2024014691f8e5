/**
 * Pushing a signed image into the inactive slot of one board or both.
 *
 * One board (`pushToBoard`): `push-begin` names the image by its SHA-256 and
 * the board answers where to carry on (0, or where a cut-short push
 * stopped); `push-data` chunks follow with several in flight at once (the
 * board takes them in order and refuses any other offset, so after a lost
 * frame the host asks `push-begin` again and goes on from the board's
 * count); `push-end` has the board read the image back, verify it and only
 * then make it the slot's image. With compression, a chunk goes deflated
 * when that makes it smaller; each chunk inflates on its own, so a resume is
 * always at a chunk boundary.
 *
 * The pair (`pushImage`): the image is checked here first (signature, board
 * name), then both boards' status (both answer, neither is mid-switch, the
 * image is of the app that runs and not older than it, unless allowed). Any refusal happens
 * before a byte is written. Then both boards receive it at once, each on its
 * own host port. Each board checks the image's head again itself (key,
 * board, length, same app, no downgrade unless push-begin allows it:
 * boards/node/push-policy.ts) before it erases anything; these checks here
 * only refuse sooner, and for the whole pair at once.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { deflateRawSync } from 'node:zlib';
import { ImageError } from '../../boards/image/errors.ts';
import { type ImageManifest, verifyImage } from '../../boards/image/verify.ts';
import { compareVersions } from '../../boards/image/version-order.ts';
import {
  type BoardStatus,
  PUSH_CHUNK_MAX_BYTES,
  PUSH_INFLATED_CHUNK_MAX_BYTES,
  type PushBeginResult,
  type PushDataResult,
  type PushEndResult,
} from '../../boards/management.ts';
import { type BoardClient, BoardNotAnsweringError, BoardRefusedError } from './board-client.ts';
import { readBoardStatusesPatiently } from './board-watch.ts';

/** Chunks in flight at once: enough to keep the line busy while acknowledgements come back. */
export const PUSH_WINDOW_CHUNKS = 4;
/**
 * Times in a row a push asks `push-begin` again after a lost or refused
 * chunk and finds the board no further on before it gives up. A resync that
 * finds the board further on does not count: a slow board that keeps taking
 * chunks (a loaded machine, a line that drops a frame now and then) finishes,
 * since the image is finite, and a board that takes nothing more is given up
 * after this many resyncs.
 */
export const PUSH_RESYNCS_WITHOUT_PROGRESS_MAX = 3;
/**
 * Each resync that finds the board no further on halves the chunks, at
 * most this many times (4,032 bytes to 504: 0.35 s on the line at 115200
 * to 44 ms). A frame is lost where the board or the line stalls mid-way
 * (the board drops a frame whose bytes stop for FRAME_CUT_SHORT_AFTER_MS,
 * 100 ms): on a loaded machine an XS board is inside a long call into its
 * engine so often that a 4 KB chunk seldom crosses whole.
 */
export const PUSH_CHUNK_HALVINGS_MAX = 3;
/** Reply time allowed on top of the line time of what is queued ahead of a request. */
const PUSH_REPLY_SLACK_MS = 2000;
/** push-end reads back and verifies the image. */
const PUSH_END_TIMEOUT_MS = 10_000;

export interface PushProgress {
  /** Image bytes the board holds. */
  readonly written: number;
  readonly total: number;
  /** Where this push started (a resume starts above 0). */
  readonly resumedAt: number;
  /** push-data bytes sent so far (deflated where compressed). */
  readonly sentBytes: number;
}

export interface PushOptions {
  /** Deflate chunks where that makes them smaller (default true). */
  readonly compress?: boolean;
  readonly windowChunks?: number;
  /** Stops sending (Ctrl-C); what the board holds stays, and the next push resumes. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PushProgress) => void;
  /** Let the board take an image older than the one it runs (it refuses one otherwise). */
  readonly allowDowngrade?: boolean;
}

export interface BoardPushResult extends PushEndResult {
  readonly bytes: number;
  readonly resumedAt: number;
  /** push-data bytes sent (deflated where compressed). */
  readonly sentBytes: number;
  readonly chunks: number;
  /** From push-begin sent to push-end answered. */
  readonly seconds: number;
}

/** A push stopped on request (Ctrl-C) before the image was complete. */
export class PushAbortedError extends Error {
  readonly pushAborted = true;
  override name = 'PushAbortedError';
}

export type PushRefusalCode =
  | 'bad-image'
  | 'wrong-board'
  | 'board-missing'
  | 'mid-switch'
  | 'downgrade'
  | 'other-app';

/** The push was refused before anything was written; the message says why and what to do. */
export class PushRefusedError extends BoardRefusedError {
  readonly pushRefused = true;
  override name = 'PushRefusedError';
  constructor(
    override readonly code: PushRefusalCode,
    message: string,
  ) {
    super(code, message);
  }
}

export function imageSha256(image: Uint8Array): string {
  return createHash('sha256').update(image).digest('hex');
}

/** Pushes `image` into one board's inactive slot, resuming what the board already holds. */
export async function pushToBoard(
  board: BoardClient,
  image: Uint8Array,
  options: PushOptions = {},
): Promise<BoardPushResult> {
  const sha256 = imageSha256(image);
  const chunker = new Chunker(image, options.compress ?? true);
  const window = options.windowChunks ?? PUSH_WINDOW_CHUNKS;
  const lineBytesPerMs = board.port.baudRate / 10_000;
  // A request may wait behind a full window and the port's transmit buffer.
  const dataTimeoutMs = PUSH_REPLY_SLACK_MS + Math.ceil((2 * (window + 1) * 4096) / lineBytesPerMs);
  const started = performance.now();
  let resumedAt = -1;
  let sentBytes = 0;
  let chunks = 0;
  let written = 0;
  const report = () => options.onProgress?.({ written, total: image.length, resumedAt, sentBytes });
  /** What the board held at the last push-begin answered, and the resyncs since it last held more. */
  let held = -1;
  let resyncsWithoutProgress = 0;
  let halvings = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      // A push-begin lost on the line is a resync that found the board no further on.
      const begin = (await board.request(
        options.allowDowngrade === true
          ? { op: 'push-begin', bytes: image.length, sha256, allowDowngrade: true }
          : { op: 'push-begin', bytes: image.length, sha256 },
        dataTimeoutMs,
      )) as PushBeginResult;
      if (resumedAt < 0) resumedAt = begin.resumeAt;
      if (begin.resumeAt > held) resyncsWithoutProgress = 0;
      held = begin.resumeAt;
      written = begin.resumeAt;
      report();
      await sendWindowed(begin.resumeAt, image.length, window, options.signal, (offset) => {
        const chunk = chunker.at(offset, halvings);
        sentBytes += chunk.data.length;
        chunks += 1;
        const request =
          chunk.raw === undefined
            ? { op: 'push-data', offset, data: chunk.data }
            : { op: 'push-data', offset, data: chunk.data, raw: chunk.raw };
        return {
          next: offset + chunk.length,
          reply: board.request(request, dataTimeoutMs).then((result) => {
            written = Math.max(written, (result as PushDataResult).written);
            report();
          }),
        };
      });
      break;
    } catch (error) {
      if (options.signal?.aborted) {
        throw new PushAbortedError(
          `${board.label}: push stopped with ${written} of ${image.length} bytes in the slot; push again to resume`,
        );
      }
      if (!isResyncable(error) || resyncsWithoutProgress >= PUSH_RESYNCS_WITHOUT_PROGRESS_MAX)
        throw error;
      resyncsWithoutProgress += 1;
      halvings = Math.min(PUSH_CHUNK_HALVINGS_MAX, halvings + 1);
    }
  }
  const end = (await board.request({ op: 'push-end' }, PUSH_END_TIMEOUT_MS)) as PushEndResult;
  return {
    ...end,
    bytes: image.length,
    resumedAt,
    sentBytes,
    chunks,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Sends from `from` to `to` with at most `window` requests unanswered. On the
 * first failure it stops sending, waits for the requests in flight, and throws.
 */
async function sendWindowed(
  from: number,
  to: number,
  window: number,
  signal: AbortSignal | undefined,
  send: (offset: number) => { next: number; reply: Promise<void> },
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  let offset = from;
  const aborted = abortPromise(signal);
  while (failure === null && (offset < to || inFlight.size > 0)) {
    while (failure === null && offset < to && inFlight.size < window && !signal?.aborted) {
      const { next, reply } = send(offset);
      offset = next;
      const tracked: Promise<void> = reply
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    if (signal?.aborted) failure ??= { error: signal.reason };
    if (inFlight.size === 0) break;
    await Promise.race([...inFlight, aborted]);
  }
  await Promise.all(inFlight);
  if (failure !== null) throw (failure as { error: unknown }).error;
}

function abortPromise(signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise(() => {});
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

/** A lost frame or a chunk the board did not expect: ask where it stands and go on from there. */
function isResyncable(error: unknown): boolean {
  if (error instanceof BoardNotAnsweringError) return true;
  return error instanceof BoardRefusedError && ['bad-offset', 'no-transfer'].includes(error.code);
}

interface Chunk {
  /** Image bytes the chunk carries. */
  readonly length: number;
  readonly data: Uint8Array;
  /** Set when `data` is deflated. */
  readonly raw?: number;
}

/** Cuts the image into chunks from any offset, deflated where that pays. */
class Chunker {
  constructor(
    readonly image: Uint8Array,
    readonly compress: boolean,
  ) {}

  /** The chunk at `offset`, with every size limit halved `halvings` times. */
  at(offset: number, halvings: number): Chunk {
    const frameBytes = PUSH_CHUNK_MAX_BYTES >> halvings;
    if (this.compress) {
      // The most image bytes whose deflate stream still fits the frame.
      for (let raw = PUSH_INFLATED_CHUNK_MAX_BYTES >> halvings; raw > frameBytes; raw /= 2) {
        const plain = this.image.subarray(offset, offset + raw);
        const data = deflateRawSync(plain);
        if (data.length <= frameBytes && data.length < plain.length) {
          return { length: plain.length, data, raw: plain.length };
        }
        if (plain.length < raw) break;
      }
    }
    const plain = this.image.subarray(offset, offset + frameBytes);
    if (this.compress) {
      const data = deflateRawSync(plain);
      if (data.length < plain.length) return { length: plain.length, data, raw: plain.length };
    }
    return { length: plain.length, data: plain };
  }
}

// ---------------------------------------------------------------- the pair

export interface PushTarget {
  readonly processor: 1 | 2;
  readonly client: BoardClient;
}

export interface PairPushOptions extends Omit<PushOptions, 'onProgress'> {
  /** The keys the boards trust and their board name: the image is checked here first. */
  readonly publicKeys: readonly Uint8Array[];
  readonly board: string;
  readonly onProgress?: (processor: 1 | 2, progress: PushProgress) => void;
  /** How long a board that does not answer status is asked again before it counts as missing (STATUS_PATIENCE_MS). */
  readonly statusPatienceMs?: number;
}

export interface PairPushResult {
  readonly manifest: ImageManifest;
  readonly sha256: string;
  readonly boards: ReadonlyArray<BoardPushResult & { readonly processor: 1 | 2 }>;
}

/** Checks everything that can refuse the push, then pushes to all targets at once. */
export async function pushImage(
  targets: readonly PushTarget[],
  image: Uint8Array,
  options: PairPushOptions,
): Promise<PairPushResult> {
  const manifest = checkImage(image, options.publicKeys, options.board);
  const statuses = await readBoardStatusesPatiently(
    targets.map((target) => target.client),
    options.statusPatienceMs,
  );
  targets.forEach(({ processor }, index) => {
    const status = statuses[index];
    if (status == null) {
      throw new PushRefusedError(
        'board-missing',
        `processor ${processor} does not answer (powered off or unplugged?); nothing was pushed. Power it on, or push to one board with --board`,
      );
    }
    checkBoard(processor, status, manifest, options.allowDowngrade ?? false);
  });
  const settled = await Promise.allSettled(
    targets.map(async ({ processor, client }) => ({
      processor,
      ...(await pushToBoard(client, image, {
        ...options,
        onProgress: (progress) => options.onProgress?.(processor, progress),
      })),
    })),
  );
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return {
    manifest,
    sha256: imageSha256(image),
    boards: settled.map(
      (s) => (s as PromiseFulfilledResult<PairPushResult['boards'][number]>).value,
    ),
  };
}

function checkImage(image: Uint8Array, publicKeys: readonly Uint8Array[], board: string) {
  try {
    return verifyImage(image, { publicKeys: [...publicKeys], board }).manifest;
  } catch (error) {
    if (!(error instanceof ImageError)) throw error;
    const code = error.code === 'wrong-board' ? 'wrong-board' : 'bad-image';
    throw new PushRefusedError(code, `the image is refused (${error.code}): ${error.message}`);
  }
}

function checkBoard(
  processor: 1 | 2,
  status: BoardStatus,
  manifest: ImageManifest,
  allowDowngrade: boolean,
): void {
  const trial = status.slots.some((slot) => slot.trial) || status.pair?.testMode === true;
  if (status.pair?.role === 'switching' || trial) {
    throw new PushRefusedError(
      'mid-switch',
      `processor ${processor} is in the middle of a switch (${trial ? 'running an image on trial' : 'role switching'}); nothing was pushed. Wait for the switch to finish or fall back, then push`,
    );
  }
  const app = status.pair?.app;
  if (app !== undefined && app !== manifest.app) {
    throw new PushRefusedError(
      'other-app',
      `processor ${processor} runs app '${app}', the image is '${manifest.app}'; nothing was pushed. A board takes another app only on erased flash (a switch cannot carry state between apps)`,
    );
  }
  const running = status.pair?.version ?? status.slots.find((slot) => slot.active)?.version;
  if (running && !allowDowngrade && compareVersions(manifest.version, running) < 0) {
    throw new PushRefusedError(
      'downgrade',
      `processor ${processor} runs ${running}, newer than the image's ${manifest.version}; nothing was pushed. Add --allow-downgrade to push it anyway`,
    );
  }
}
