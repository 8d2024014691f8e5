/**
 * The steps of an online replacement (ARCHITECTURE.md, "The online
 * replacement"), in the procedure's order, with what each one is. The
 * firmware owns the step names (`SwitchStepName`); this is the host's one
 * list of them, which the switch watcher, `tandem switch`, the dashboard, the
 * simulator and HIL all read.
 */
import type { SwitchStepName } from '../firmware/runtime/outputs.ts';

export type { SwitchStepName };

/** What each step is, in the procedure's order (a `Record` so no step lacks a title). */
export const SWITCH_STEP_TITLES: Readonly<Record<SwitchStepName, string>> = {
  a: 'the primary asks its backup to stop',
  b: 'the backup stops; the application is no longer a pair',
  c: 'the backup boots the new version on trial',
  d: 'the new-version backup starts',
  e: 'handshake: the versions can exchange checkpoints',
  f: 'big checkpoint to the new version, new requests held',
  g: 'roles switch: the new version is primary',
  h: 'the new primary stops the old version',
  i: 'the old processor boots the new version and joins',
  done: 'pair whole on the new version; confirmed on both boards',
};

/** Every step in the procedure's order, `done` last (string keys keep their insertion order). */
export const SWITCH_STEPS = Object.keys(SWITCH_STEP_TITLES) as readonly SwitchStepName[];

/** The steps that do something (a to i): where a fault can be injected mid-switch. */
export const SWITCH_ACTION_STEPS: readonly Exclude<SwitchStepName, 'done'>[] = SWITCH_STEPS.filter(
  (step): step is Exclude<SwitchStepName, 'done'> => step !== 'done',
);

/** Where `step` stands in the procedure (0 for a, the last for done). */
export function switchStepRank(step: SwitchStepName): number {
  return SWITCH_STEPS.indexOf(step);
}
