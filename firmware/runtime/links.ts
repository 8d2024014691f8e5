/**
 * The interconnect paths to the partner, as one processor sees them: what
 * arrives on each (its frame decoder, when the partner was last heard, its
 * DSR line), whether each is up, and what we send on each (heartbeats due,
 * when its UART will be idle, which path segments go on).
 */
import { byteTimeMs, FrameDecoder, type FrameEvent } from '../wire/frame.ts';
import { lineBytesPerMs, type PairConfig, suspectAfterMs } from './config.ts';

interface Path {
  readonly decoder: FrameDecoder;
  lastHeardMs: number;
  dsrHigh: boolean;
  up: boolean;
  /** When a heartbeat is due (any frame sent on the path postpones it). */
  nextBeatMs: number;
  /** When the UART will have sent what we gave it (an estimate from the baud rate). */
  txIdleAtMs: number;
}

/** A path that came up or went down at the last judgement. */
export interface PathChange {
  readonly path: number;
  readonly up: boolean;
}

/**
 * Silence inside a frame that means its sender lost power: two heartbeat
 * intervals, and never less than 256 byte times (bytes may arrive in bursts).
 */
function cutShortAfterMs(config: PairConfig): number {
  return Math.max(2 * config.heartbeatIntervalMs, 256 / lineBytesPerMs(config));
}

export class Links {
  readonly #config: PairConfig;
  readonly #paths: Path[] = [];
  /** Paths on which the partner last said it hears us (bit per path). */
  #partnerHears = 0;

  constructor(config: PairConfig, now: number) {
    this.#config = config;
    for (let i = 0; i < config.pathCount; i++) {
      this.#paths.push({
        // A partner that lost power mid-frame: its next life's frames must not wait behind the cut one.
        // Noise that declared a long frame must not swallow the acknowledgements behind it.
        decoder: new FrameDecoder({
          cutShortAfterMs: cutShortAfterMs(config),
          byteTimeMs: byteTimeMs(config.baud),
        }),
        // A path starts silent: it is up once the partner is heard on it.
        lastHeardMs: -Infinity,
        dsrHigh: !config.dsrWired,
        up: false,
        nextBeatMs: now,
        txIdleAtMs: now,
      });
    }
  }

  has(path: number): boolean {
    return this.#paths[path] !== undefined;
  }

  /** Frames (or framing errors) completed by bytes that arrived on `path`. */
  decode(path: number, bytes: Uint8Array, now: number): FrameEvent[] {
    return this.#paths[path]?.decoder.push(bytes, now) ?? [];
  }

  heard(path: number, now: number): void {
    const state = this.#paths[path];
    if (state !== undefined) state.lastHeardMs = now;
  }

  /** Sets the DSR level of `path`; false when the board does not wire DSR or has no such path. */
  setDsr(path: number, high: boolean): boolean {
    const state = this.#paths[path];
    if (state === undefined || !this.#config.dsrWired) return false;
    state.dsrHigh = high;
    return true;
  }

  /** DSR is low on every path: the partner has no power (or every cable is out). */
  get partnerOff(): boolean {
    if (!this.#config.dsrWired) return false;
    for (const path of this.#paths) if (path.dsrHigh) return false;
    return true;
  }

  set partnerHears(mask: number) {
    this.#partnerHears = mask;
  }

  /** A path is up while the partner was heard on it within the suspicion time and its DSR is high. */
  judge(now: number): { readonly changes: PathChange[]; readonly anyUp: boolean } {
    const silentAfter = suspectAfterMs(this.#config);
    const changes: PathChange[] = [];
    let anyUp = false;
    this.#paths.forEach((path, index) => {
      const up = now - path.lastHeardMs <= silentAfter && path.dsrHigh;
      if (up !== path.up) {
        path.up = up;
        changes.push({ path: index, up });
      }
      anyUp ||= up;
    });
    return { changes, anyUp };
  }

  get up(): boolean[] {
    return this.#paths.map((p) => p.up);
  }

  /** When the first path that is up falls silent, unless the partner is heard before. */
  nextSilenceMs(): number {
    const silentAfter = suspectAfterMs(this.#config);
    let at = Infinity;
    for (const path of this.#paths)
      if (path.up) at = Math.min(at, path.lastHeardMs + silentAfter + 1);
    return at;
  }

  /** Paths we heard the partner on within the suspicion time, one bit each. */
  hearsMask(now: number): number {
    const silentAfter = suspectAfterMs(this.#config);
    const paths = this.#paths;
    let mask = 0;
    for (let index = 0; index < paths.length; index++) {
      if (now - (paths[index] as Path).lastHeardMs <= silentAfter) mask |= 1 << index;
    }
    return mask;
  }

  /**
   * The path to send segments on: one the partner says it hears us on (a
   * path cut in our direction only still carries its frames to us, so our
   * own view cannot tell), else one we hear the partner on.
   */
  preferredPath(): number {
    const paths = this.#paths;
    for (let index = 0; index < paths.length; index++) {
      if ((paths[index] as Path).dsrHigh && (this.#partnerHears & (1 << index)) !== 0) return index;
    }
    for (let index = 0; index < paths.length; index++) if ((paths[index] as Path).up) return index;
    return 0;
  }

  /** When the UART of `path` will have sent everything, and not before now. */
  lineIdleAtMs(path: number, now: number): number {
    return Math.max(now, this.#paths[path]?.txIdleAtMs ?? now);
  }

  /** When every path's UART will have sent everything, and not before now. */
  linesIdleAtMs(now: number): number {
    let idle = now;
    for (const path of this.#paths) idle = Math.max(idle, path.txIdleAtMs);
    return idle;
  }

  /**
   * A frame of `byteCount` bytes went to the UART of `path`: the path's next
   * heartbeat is due a heartbeat's interval after the partner has it all.
   * (Counted from now, a long frame on a slow line had heartbeats pile up
   * behind it, and the checkpoints waited behind them: at 9600 baud most of
   * the line.)
   */
  transmitted(path: number, byteCount: number, now: number): void {
    const state = this.#paths[path];
    if (state === undefined) return;
    state.txIdleAtMs = this.lineIdleAtMs(path, now) + byteCount / lineBytesPerMs(this.#config);
    state.nextBeatMs = state.txIdleAtMs + this.#config.heartbeatIntervalMs;
  }

  /** Paths whose heartbeat is due. */
  beatsDue(now: number): number[] {
    const due: number[] = [];
    const paths = this.#paths;
    for (let index = 0; index < paths.length; index++) {
      if (now >= (paths[index] as Path).nextBeatMs) due.push(index);
    }
    return due;
  }

  /**
   * A heartbeat goes out on every path as soon as its line is free (to tell
   * the partner something new): queued behind a frame still on the line it
   * would tell nothing sooner, and the segments waiting for the line would
   * wait for it too (and they carry the news themselves).
   */
  beatNow(now: number): void {
    for (const path of this.#paths) path.nextBeatMs = Math.max(now, path.txIdleAtMs);
  }

  nextBeatMs(): number {
    let at = Infinity;
    for (const path of this.#paths) at = Math.min(at, path.nextBeatMs);
    return at;
  }
}
