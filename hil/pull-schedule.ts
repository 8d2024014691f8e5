/**
 * The pull schedule of a HIL failover campaign: from a seed, which kind of
 * pull comes when, on which board's role, and how long the board stays off.
 * The same seed gives the same schedule, for any pull count.
 */
import { seededRandom } from '../firmware/runtime/random.ts';
import { SWITCH_ACTION_STEPS, type SwitchStepName } from '../host/switch-procedure.ts';

export type Scenario = 'takeover' | 'upgrade' | 'mixed';
export const SCENARIOS: readonly Scenario[] = ['takeover', 'upgrade', 'mixed'];
export type PullKind = 'load' | 'rejoin' | 'switch';

/** One pull as the seed schedules it; the processor is found at run time from the roles. */
export interface PlannedPull {
  readonly index: number;
  readonly kind: PullKind;
  /** load and switch: the board in this role (at the switch's start); rejoin: the board coming back. */
  readonly victim: 'primary' | 'backup' | 'joiner';
  /** load: time under load with the pair whole before the pull. */
  readonly delayMs: number;
  /** rejoin: when to pull, as a share of the typical re-form time after the restore. */
  readonly rejoinShare: number;
  /** switch: pull once this step is seen. */
  readonly step: SwitchStepName;
  /** How long the board stays off after the takeover (or after the pull, for a backup). */
  readonly offMs: number;
}

/** Drawn per pull, whatever its kind, so a seed gives the same schedule for any pull count. */
const DRAWS_PER_PULL = 6;

/** The schedule of `count` pulls for `seed`: the same seed gives the same schedule. */
export function planPulls(seed: number, count: number, scenario: Scenario): PlannedPull[] {
  const plan: PlannedPull[] = [];
  const random = seededRandom(seed);
  for (let index = 0; index < count; index++) {
    const draws = Array.from({ length: DRAWS_PER_PULL }, () => random());
    const [kindDraw, victimDraw, delayDraw, shareDraw, stepDraw, offDraw] = draws as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const previous = plan[index - 1]?.kind;
    // A rejoin needs a board the previous pull restored, outside a switch.
    const canRejoin = previous === 'load' || previous === 'rejoin';
    let kind: PullKind;
    if (scenario === 'takeover') kind = canRejoin && kindDraw < 0.3 ? 'rejoin' : 'load';
    else if (scenario === 'upgrade') kind = kindDraw < 0.7 ? 'switch' : 'load';
    else if (canRejoin && kindDraw < 0.2) kind = 'rejoin';
    else kind = kindDraw < 0.6 ? 'switch' : 'load';
    const victim =
      kind === 'rejoin'
        ? 'joiner'
        : victimDraw < (kind === 'load' ? 0.7 : 0.5)
          ? 'primary'
          : 'backup';
    plan.push({
      index,
      kind,
      victim,
      delayMs: Math.round(200 + delayDraw * 1300),
      rejoinShare: Math.round(shareDraw * 100) / 100,
      step: SWITCH_ACTION_STEPS[Math.floor(stepDraw * SWITCH_ACTION_STEPS.length)] ?? 'a',
      offMs: Math.round(100 + offDraw * 700),
    });
  }
  return plan;
}
