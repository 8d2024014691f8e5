/**
 * The command line that replays one seed exactly as a campaign ran it. Scripts
 * look for `reproduce with: npx tandem simulate --seed N --mode M`; --app and
 * --run-ms follow only when they differ from the defaults.
 */
import type { CheckpointModel } from '../../firmware/app.ts';
import { DEFAULT_RUN_MS } from '../simulator/campaign.ts';

export interface ReproduceSpec {
  readonly seed: number;
  readonly mode: CheckpointModel;
  readonly app?: string | undefined;
  readonly runMs: number;
}

export function reproduceLine(spec: ReproduceSpec): string {
  const parts = ['npx tandem simulate', `--seed ${spec.seed}`, `--mode ${spec.mode}`];
  if (spec.app !== undefined) parts.push(`--app ${shellQuoted(spec.app)}`);
  if (spec.runMs !== DEFAULT_RUN_MS) parts.push(`--run-ms ${spec.runMs}`);
  return `reproduce with: ${parts.join(' ')}`;
}

function shellQuoted(text: string): string {
  return /^[\w./@:-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
