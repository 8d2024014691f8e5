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

export function frameUse(segment: DataSegment<PeerBody> | undefined): FrameUse {
  if (segment === undefined) return 'bare';
  if (segment.resent === true) return 'resent';
  return segment.body.k === 'ckpt' ? 'checkpoint' : 'other';
}

type Counts = Record<FrameUse, { frames: number; bytes: number }>;

export class LineUse {
  readonly #paths: Counts[] = [];

  constructor(pathCount: number) {
    for (let path = 0; path < pathCount; path++) {
      const counts = {} as Counts;
      for (const use of FRAME_USES) counts[use] = { frames: 0, bytes: 0 };
      this.#paths.push(counts);
    }
  }

  /** A frame of `bytes` went to the UART of `path`. */
  count(path: number, use: FrameUse, bytes: number): void {
    const counts = this.#paths[path]?.[use];
    if (counts === undefined) return;
    counts.frames++;
    counts.bytes += bytes;
  }

  /** A copy of every path's counts. */
  snapshot(): PathLineUse[] {
    return this.#paths.map((counts) => {
      const copy = {} as Record<FrameUse, UseCount>;
      for (const use of FRAME_USES) copy[use] = { ...counts[use] };
      return copy;
    });
  }
}
