/**
 * Each fault's window, and the rule that tells a violation one fault caused
 * from one that needed several at once (issue 9). The promise is about single
 * faults; the wide model schedules many per seed, and they may overlap.
 *
 * A fault's window runs from the instant it strikes until the pair is whole
 * again after it ended (see `pairWhole` in world.ts): a pull lasts until the
 * board is back and has rejoined, a stall until the board has caught up. A
 * violation is `multiFault`, counted apart and never a pass, only when
 *   - its kind is one that several faults at once can cause (a lost,
 *     repeated or contradicted acknowledgement, split brain, a cold start):
 *     never the checks that hold under any number of faults (the pair
 *     re-forms once faults stop, images, converters, a seed that throws, one
 *     path failing alone, the backup's state once settled, a retry refused as
 *     too old);
 *   - and two or more windows of counting faults were open at the instant it
 *     was found, or at the instant the acknowledgement it is about was given
 *     (`sinceMs`: a write a lone board acknowledged while two faults were
 *     open and that is found missing later is lost to those faults);
 *   - or it is about an acknowledgement given while one fault was open, and
 *     before that fault's window closed a board that served alone lost
 *     power: with one path, DSR and no fence, a cut has the backup take
 *     over alone while the old primary waits, and a pull of the new primary
 *     before the cut ends takes the only copy of what it acknowledged; the
 *     old primary then serves again from its older one. With durable
 *     stores no power loss takes a copy.
 * A stall shorter than the suspicion time does not count as a second fault:
 * it is jitter the pair must ride out (issue 9, defect 8), so a violation
 * beside one counting fault and such stalls stays a violation. Seed
 * dimensions (topology, clocks, clients, a lossy bus, big states, mismatched
 * images, app exceptions) are conditions, not faults; switches and pushes
 * are operations. With durable stores (`retained`) power losses are
 * covered: any number of pulls and store cuts must lose nothing, so their
 * windows alone never make a finding multi-fault. When in doubt, it is a violation.
 */
import type { FaultClass } from './fault-model.ts';

/** The faults that take a board's power: with durable stores (`retained`) the pair survives any number of them. */
export const POWER_FAULTS: readonly FaultClass[] = ['pull', 'pull-handover', 'store-cut'];

export interface FaultWindow {
  readonly id: number;
  readonly fault: FaultClass;
  /** What struck, for the report (e.g. "cut path 0 both ways"). */
  readonly what: string;
  readonly fromMs: number;
  /** When the fault itself ended (Infinity while it lasts). */
  endMs: number;
  /** When the pair was whole again after it ended (Infinity until then). */
  healedMs: number;
  /** Too small to count as a second fault (a stall shorter than the suspicion time). */
  readonly minor: boolean;
  /** A power loss of a board that served alone: it took the only copy of what that board acknowledged. */
  readonly tookLoneCopy: boolean;
}

/** Kinds that hold under any number of faults: never counted apart. */
const ALWAYS_VIOLATIONS: ReadonlySet<string> = new Set([
  'not-reformed',
  'seed-threw',
  'unpushed-image',
  'converter-loses-data',
  'backup-state-differs',
  'false-takeover-one-path',
  'too-old',
  'store-outgrown',
  'reason-unsaid',
  'refusal-unannounced',
]);

export interface Classified {
  readonly multiFault: boolean;
  /** The counting faults whose windows were open (at the finding, or at `sinceMs`). */
  readonly faults: readonly FaultWindow[];
}

export class FaultWindows {
  readonly #windows: FaultWindow[] = [];
  readonly #covered: ReadonlySet<FaultClass>;

  constructor(
    /**
     * Faults the pair must survive in any number (power losses, with
     * durable stores): windows of these alone never make a finding
     * multi-fault; it takes at least one other counting fault among them.
     */
    covered: readonly FaultClass[] = [],
  ) {
    this.#covered = new Set(covered);
  }
  /** Windows whose fault ended and that wait for the pair to be whole. */
  #awaitingWhole = 0;

  /** A fault strikes at `atMs`; returns the window's id, to end it with. */
  open(fault: FaultClass, atMs: number, what: string, minor = false): number {
    return this.#open(fault, atMs, what, minor, false);
  }

  /** A power loss strikes a board at `atMs`; `servedAlone` when it served with no backup. */
  openPowerLoss(fault: FaultClass, atMs: number, what: string, servedAlone: boolean): number {
    return this.#open(fault, atMs, what, false, servedAlone && !this.#covered.has(fault));
  }

  #open(fault: FaultClass, atMs: number, what: string, minor: boolean, tookLoneCopy: boolean) {
    const id = this.#windows.length;
    this.#windows.push({
      id,
      fault,
      what,
      fromMs: atMs,
      endMs: Infinity,
      healedMs: Infinity,
      minor,
      tookLoneCopy,
    });
    return id;
  }

  /** The fault of window `id` is over (a second call changes nothing). */
  end(id: number, atMs: number): void {
    const window = this.#windows[id];
    if (window === undefined || window.endMs !== Infinity) return;
    window.endMs = atMs;
    this.#awaitingWhole += 1;
  }

  /** Every fault still on stops (the final phase). */
  endAll(atMs: number): void {
    for (const window of this.#windows) this.end(window.id, atMs);
  }

  /** Whether a window waits for the pair to be whole (so the world need not look otherwise). */
  get awaitingWhole(): boolean {
    return this.#awaitingWhole > 0;
  }

  /** The pair is whole at `atMs`: every window whose fault ended closes. */
  pairWhole(atMs: number): void {
    if (this.#awaitingWhole === 0) return;
    for (const window of this.#windows) {
      if (window.endMs !== Infinity && window.healedMs === Infinity) window.healedMs = atMs;
    }
    this.#awaitingWhole = 0;
  }

  /** The counting faults whose windows are open at `atMs`. */
  openAt(atMs: number): FaultWindow[] {
    return this.#windows.filter((w) => !w.minor && w.fromMs <= atMs && atMs < w.healedMs);
  }

  /** Whether two or more counting faults' windows are open at `atMs`. */
  overlapAt(atMs: number): boolean {
    let open = 0;
    for (const w of this.#windows) {
      if (!w.minor && w.fromMs <= atMs && atMs < w.healedMs && ++open >= 2) return true;
    }
    return false;
  }

  /** A violation of `kind` found at `atMs`, about an acknowledgement given at `sinceMs`. */
  classify(kind: string, atMs: number, sinceMs?: number): Classified {
    if (ALWAYS_VIOLATIONS.has(kind)) return { multiFault: false, faults: this.openAt(atMs) };
    const now = this.openAt(atMs);
    if (this.#excuses(now)) return { multiFault: true, faults: now };
    if (sinceMs !== undefined) {
      const then = this.openAt(sinceMs);
      if (this.#excuses(then)) return { multiFault: true, faults: then };
      const loss = this.#loneCopyLoss(then, sinceMs, atMs);
      if (loss !== undefined) return { multiFault: true, faults: loss };
    }
    return { multiFault: false, faults: now };
  }

  /**
   * A board serving alone because of a fault open at the acknowledgement
   * (`openThen`) lost power before that fault's window closed, and before
   * the finding: the fault that left it alone and the loss, if any.
   */
  #loneCopyLoss(
    openThen: readonly FaultWindow[],
    sinceMs: number,
    atMs: number,
  ): FaultWindow[] | undefined {
    for (const loss of this.#windows) {
      if (!loss.tookLoneCopy || loss.fromMs <= sinceMs || loss.fromMs >= atMs) continue;
      const first = openThen.find((w) => loss.fromMs < w.healedMs);
      if (first !== undefined) return [first, loss];
    }
    return undefined;
  }

  /** Two or more counting faults, not all of them covered ones. */
  #excuses(open: readonly FaultWindow[]): boolean {
    return open.length >= 2 && open.some((w) => !this.#covered.has(w.fault));
  }
}

/** The faults of a classified violation, for its detail line. */
export function describeFaults(faults: readonly FaultWindow[]): string {
  return faults.map((w) => `${w.what} from ${w.fromMs.toFixed(0)} ms${healed(w)}`).join('; ');
}

function healed(w: FaultWindow): string {
  if (w.endMs === Infinity) return ', still on';
  if (w.healedMs === Infinity) return `, ended ${w.endMs.toFixed(0)} ms, pair not yet whole`;
  return `, ended ${w.endMs.toFixed(0)} ms, whole at ${w.healedMs.toFixed(0)} ms`;
}
