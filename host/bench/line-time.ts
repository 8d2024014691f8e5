/**
 * Where the interconnect's line time goes (issue 13's goodput breakdown):
 * over a window, the line from the primary to its backup on the path that
 * carries the checkpoints, split into checkpoint payload, the envelopes
 * around it, framing, other segments, acknowledgements and heartbeats,
 * retransmissions and idle time.
 *
 * Three counters, read at both ends of the window: the hub's count of the
 * bytes that left the sender on each cable (what the line was busy with,
 * measured outside the boards), each core's count of the frames it put on
 * each path by what they carried (`lineUse` in its status), and the
 * primary's count of checkpoint payload it sent (a resend once). What the hub carried and
 * the primary did not count (frames queued at one edge of the window and
 * sent at the other) is reported as such, never spread over the rest.
 */
import { performance } from 'node:perf_hooks';
import type { BoardStatus } from '../../boards/management.ts';
import {
  FRAME_USES,
  type FrameUse,
  type LineUseCounts,
  pathLineUse,
} from '../../firmware/runtime/line-use.ts';
import { FRAME_OVERHEAD_BYTES } from '../../firmware/wire/frame.ts';
import type { CableDirection } from '../lab/cable-faults.ts';
import type { CableStatus, HubClient } from '../lab/hub/control.ts';
import { cable } from '../lab/lab-config.ts';
import type { BoardClient } from '../pair/board-client.ts';

/** The counters at one moment. */
export interface LineSample {
  /** performance.now(), the middle of the reads. */
  readonly atMs: number;
  /** Both boards' statuses (P1, P2); null for a board that did not answer. */
  readonly boards: readonly [BoardStatus | null, BoardStatus | null];
  /** The hub's interconnect cables, path 0 first. */
  readonly cables: readonly CableStatus[];
}

export async function sampleLine(
  hosts: readonly [BoardClient, BoardClient],
  hub: HubClient,
  paths: number,
): Promise<LineSample> {
  const before = performance.now();
  const read = (host: BoardClient) =>
    host.request({ op: 'status' }).then(
      (status) => status as BoardStatus,
      () => null,
    );
  const [boards, all] = await Promise.all([
    Promise.all([read(hosts[0]), read(hosts[1])]),
    hub.cables(),
  ]);
  const names = Array.from({ length: paths }, (_, path) => cable.path(path));
  return {
    atMs: (before + performance.now()) / 2,
    boards,
    cables: names.map((name) => {
      const found = all.find((c) => c.name === name);
      if (found === undefined) throw new Error(`the hub has no cable ${name}`);
      return found;
    }),
  };
}

/** Line time of one direction of one path over a window, in bytes (line time at baud/10 bytes a second). */
export interface LineTime {
  readonly path: number;
  readonly from: 1 | 2;
  readonly seconds: number;
  /** What the line could carry in the window. */
  readonly capacityBytes: number;
  /** Checkpoint entries the primary sent (their CBOR, a resend once), this path's share of them. */
  readonly payloadBytes: number;
  /** The rest of the first-time checkpoint frames' CBOR: envelope, batch and entry headers. */
  readonly envelopeBytes: number;
  /** Sync, length and CRCs of every frame sent once (FRAME_OVERHEAD_BYTES each). */
  readonly framingBytes: number;
  /** Other segments' CBOR: big checkpoint chunks, stops, held requests. */
  readonly otherSegmentBytes: number;
  /** Frames without a segment (acknowledgements, heartbeats), without their framing. */
  readonly ackHeartbeatBytes: number;
  /** Segments sent again, whole frames. */
  readonly resentBytes: number;
  /** Bytes the hub saw leave the sender beyond what the sender counted (negative: fewer). */
  readonly unaccountedBytes: number;
  /** The line carried nothing. */
  readonly idleBytes: number;
  /** Frames the sender counted, by use. */
  readonly frames: Readonly<Record<FrameUse, number>>;
}

/** The parts of a LineTime that add up to its capacity, in the order a reader wants them. */
export const LINE_TIME_PARTS = [
  ['payloadBytes', 'checkpoint payload'],
  ['envelopeBytes', 'envelopes'],
  ['framingBytes', 'framing'],
  ['otherSegmentBytes', 'other segments'],
  ['ackHeartbeatBytes', 'acks and heartbeats'],
  ['resentBytes', 'retransmissions'],
  ['unaccountedBytes', 'unaccounted'],
  ['idleBytes', 'idle'],
] as const satisfies readonly (readonly [keyof LineTime, string])[];

const directionFrom = (from: 1 | 2): CableDirection => (from === 1 ? 'a-to-b' : 'b-to-a');

function sentBytes(cableStatus: CableStatus | undefined, from: 1 | 2): number {
  const direction = cableStatus?.directions[directionFrom(from)];
  return direction === undefined ? 0 : direction.bytesWritten - direction.backlog;
}

function useDelta(
  before: LineUseCounts | undefined,
  after: LineUseCounts | undefined,
  use: FrameUse,
): { frames: number; bytes: number } {
  const from = pathLineUse(before ?? [])[use];
  const to = pathLineUse(after ?? [])[use];
  return { frames: to.frames - from.frames, bytes: to.bytes - from.bytes };
}

/**
 * The line time from `primary` to its backup between two samples, on the
 * path that carried the most of it. Null when a board did not answer at
 * either end, or restarted in between (its counters started again).
 */
export function lineTime(
  before: LineSample,
  after: LineSample,
  primary: 1 | 2,
  baud: number,
): LineTime | null {
  const backup: 1 | 2 = primary === 1 ? 2 : 1;
  const statuses = [before.boards, after.boards].map((boards) => [
    boards[primary - 1],
    boards[backup - 1],
  ]);
  const [[p0, b0], [p1, b1]] = statuses as [
    [BoardStatus | null, BoardStatus | null],
    [BoardStatus | null, BoardStatus | null],
  ];
  if (p0?.pair == null || p1?.pair == null || b0?.pair == null || b1?.pair == null) return null;
  if (p0.bootCount !== p1.bootCount || b0.bootCount !== b1.bootCount) return null;
  const seconds = (after.atMs - before.atMs) / 1000;
  const paths = after.cables.length;
  const sent = (path: number) =>
    sentBytes(after.cables[path], primary) - sentBytes(before.cables[path], primary);
  let path = 0;
  for (let p = 1; p < paths; p++) if (sent(p) > sent(path)) path = p;
  const delta = (p: number, use: FrameUse) =>
    useDelta(p0.pair?.lineUse[p], p1.pair?.lineUse[p], use);
  const uses = Object.fromEntries(FRAME_USES.map((use) => [use, delta(path, use)])) as Record<
    FrameUse,
    { frames: number; bytes: number }
  >;
  let checkpointAllPaths = 0;
  for (let p = 0; p < paths; p++) checkpointAllPaths += delta(p, 'checkpoint').bytes;
  const payloadAll = p1.pair.checkpointSentBytes - p0.pair.checkpointSentBytes;
  const payloadBytes =
    checkpointAllPaths > 0 ? (payloadAll * uses.checkpoint.bytes) / checkpointAllPaths : 0;
  const framing = (use: FrameUse) => uses[use].frames * FRAME_OVERHEAD_BYTES;
  const counted = FRAME_USES.reduce((sum, use) => sum + uses[use].bytes, 0);
  const hubSent = sent(path);
  const capacityBytes = (seconds * baud) / 10;
  return {
    path,
    from: primary,
    seconds,
    capacityBytes,
    payloadBytes,
    envelopeBytes: uses.checkpoint.bytes - framing('checkpoint') - payloadBytes,
    framingBytes: framing('checkpoint') + framing('other') + framing('bare'),
    otherSegmentBytes: uses.other.bytes - framing('other'),
    ackHeartbeatBytes: uses.bare.bytes - framing('bare'),
    resentBytes: uses.resent.bytes,
    unaccountedBytes: hubSent - counted,
    idleBytes: capacityBytes - hubSent,
    frames: Object.fromEntries(FRAME_USES.map((use) => [use, uses[use].frames])) as Record<
      FrameUse,
      number
    >,
  };
}

/** Several windows' line time added up (the same direction and path need not hold across them). */
export function sumLineTimes(times: readonly LineTime[]): LineTime | null {
  const first = times[0];
  if (first === undefined) return null;
  const add = (pick: (t: LineTime) => number) => times.reduce((sum, t) => sum + pick(t), 0);
  return {
    path: first.path,
    from: first.from,
    seconds: add((t) => t.seconds),
    capacityBytes: add((t) => t.capacityBytes),
    payloadBytes: add((t) => t.payloadBytes),
    envelopeBytes: add((t) => t.envelopeBytes),
    framingBytes: add((t) => t.framingBytes),
    otherSegmentBytes: add((t) => t.otherSegmentBytes),
    ackHeartbeatBytes: add((t) => t.ackHeartbeatBytes),
    resentBytes: add((t) => t.resentBytes),
    unaccountedBytes: add((t) => t.unaccountedBytes),
    idleBytes: add((t) => t.idleBytes),
    frames: Object.fromEntries(FRAME_USES.map((use) => [use, add((t) => t.frames[use])])) as Record<
      FrameUse,
      number
    >,
  };
}
