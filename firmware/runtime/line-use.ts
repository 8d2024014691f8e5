/**
 * What one processor put on each interconnect path, frame by frame, by what
 * the frame carried: where the line time went. `tandem bench` reads these
 * counters at both ends of a saturation window to break the line's time
 * down into checkpoint payload, envelopes, framing, acknowledgements and
 * heartbeats, retransmissions and idle time (issue 13). Every frame has
 * the same framing (FRAME_OVERHEAD_BYTES), so frames and bytes say it all.
 */
import type { DataSegment } from '../wire/reliable-channel.ts';
import type { PeerBody } from './messages.ts';

/** What a frame on the interconnect carried. */
export type FrameUse =
  /** A segment sent for the first time whose body is a checkpoint batch. */
  | 'checkpoint'
  /** A segment sent for the first time with any other body (a big checkpoint's chunk, a stop, held requests...). */
  | 'other'
  /** A segment sent again: its timer ran out before the partner acknowledged it. */
  | 'resent'
  /** No segment: an acknowledgement or a heartbeat (the image details ride along now and then). */
  | 'bare';

export const FRAME_USES: readonly FrameUse[] = ['checkpoint', 'other', 'resent', 'bare'];

/** Frames of one use on one path since power-on, and their bytes as they went to the UART. */
export interface UseCount {
  readonly frames: number;
  readonly bytes: number;
}

/** One path's counts, by use. */
export type PathLineUse = Readonly<Record<FrameUse, UseCount>>;

/**
 * One path's counts as a status carries them, short for the management
 * port: frames then bytes of each use, in FRAME_USES order. `pathLineUse`
 * reads them.
 */
export type LineUseCounts = readonly number[];

export function frameUse(segment: DataSegment<PeerBody> | undefined): FrameUse {
  if (segment === undefined) return 'bare';
  if (segment.resent === true) return 'resent';
  return segment.body.k === 'ckpt' ? 'checkpoint' : 'other';
}

/** Reads one path's counts from a status (zero for what is missing). */
export function pathLineUse(counts: LineUseCounts): PathLineUse {
  const use = {} as Record<FrameUse, UseCount>;
  FRAME_USES.forEach((name, index) => {
    use[name] = { frames: counts[2 * index] ?? 0, bytes: counts[2 * index + 1] ?? 0 };
  });
  return use;
}

export class LineUse {
  /** Per path: frames and bytes of each use, in FRAME_USES order. */
  readonly #paths: number[][] = [];

  constructor(pathCount: number) {
    for (let path = 0; path < pathCount; path++) {
      this.#paths.push(new Array<number>(2 * FRAME_USES.length).fill(0));
    }
  }

  /** A frame of `bytes` went to the UART of `path`. */
  count(path: number, use: FrameUse, bytes: number): void {
    const counts = this.#paths[path];
    if (counts === undefined) return;
    const at = 2 * FRAME_USES.indexOf(use);
    counts[at] = (counts[at] ?? 0) + 1;
    counts[at + 1] = (counts[at + 1] ?? 0) + bytes;
  }

  /** A copy of every path's counts. */
  snapshot(): LineUseCounts[] {
    return this.#paths.map((counts) => [...counts]);
  }
}
