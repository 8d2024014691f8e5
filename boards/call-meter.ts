/**
 * The longest single call a board made into its image, by kind of call. An
 * engine runs one call at a time and nothing else meanwhile: while the
 * longest runs, the board sends no heartbeat and reads no byte, so it is
 * what the failure detector's suspicion time must stay well above.
 * Measured by the board's monotonic clock around the whole call, the store
 * operations inside it included (and, for XS, the hop to its worker and
 * back); XS also counts the call's computation units, which do not depend
 * on the machine or its load (those of the lab's channel to the engine
 * left out where the engine can tell: a device's IO is native), and times
 * the call by its own clock, inside the worker: the call without the hop,
 * which a device does not make.
 */

/** What the board called the image for (the same for every engine). */
export type ImageCall =
  | 'start'
  | 'data'
  | 'dsr'
  | 'wake'
  | 'status'
  | 'state'
  | 'switch'
  | 'other-image';

export interface LongestCall {
  readonly ms: number;
  /** XS's computation units of its most expensive call of this kind (not always the slowest). */
  readonly compute?: number;
  /** XS's longest call of this kind by the engine's clock: without the hop to the worker and back (not always the same call as `ms`). */
  readonly engineMs?: number;
}

/** What an engine tells of one call besides the board's clock (XS: its meter and its own clock). */
export interface EngineReading {
  readonly compute?: number | undefined;
  readonly engineMs?: number | undefined;
}

export type LongestCalls = Readonly<Partial<Record<ImageCall, LongestCall>>>;

/** All the board's calls into the image since it started: what the image cost its processor. */
export interface Busy {
  readonly calls: number;
  readonly ms: number;
  /** XS's computation units of them all. */
  readonly compute?: number;
}

export class CallMeter {
  readonly #longest: Partial<
    Record<ImageCall, { ms: number; compute?: number; engineMs?: number }>
  > = {};
  readonly #now: () => number;
  readonly #busy: { calls: number; ms: number; compute?: number } = { calls: 0, ms: 0 };

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Runs `call`, counting how long it took (also when it throws). */
  time<T>(kind: ImageCall, call: () => T): T {
    const start = this.#now();
    try {
      return call();
    } finally {
      this.note(kind, this.#now() - start);
    }
  }

  note(kind: ImageCall, ms: number, { compute, engineMs }: EngineReading = {}): void {
    const busy = this.#busy;
    busy.calls += 1;
    busy.ms += ms;
    if (compute !== undefined) busy.compute = (busy.compute ?? 0) + compute;
    const longest = this.#longest[kind] ?? { ms: 0 };
    longest.ms = Math.max(longest.ms, ms);
    if (compute !== undefined) longest.compute = Math.max(longest.compute ?? 0, compute);
    if (engineMs !== undefined) longest.engineMs = Math.max(longest.engineMs ?? 0, engineMs);
    this.#longest[kind] = longest;
  }

  longest(): LongestCalls {
    return structuredClone(this.#longest);
  }

  busy(): Busy {
    return { ...this.#busy };
  }
}
