/**
 * The command line that replays one seed exactly as a campaign ran it. Scripts
 * look for `reproduce with: npx tandem simulate --seed N --mode M`; --app,
 * --run-ms, --durability, the fault options and --engine follow only when they differ from the defaults.
 */
import type { ImageEngine } from '../../boards/image-engine.ts';
import type { CheckpointModel, Durability } from '../../firmware/app.ts';
import { DEFAULT_DURABILITY, DEFAULT_FAULT_MODEL, DEFAULT_RUN_MS } from '../simulator/campaign.ts';
import type { FaultModel } from '../simulator/fault-model.ts';

export interface ReproduceSpec {
  readonly seed: number;
  readonly mode: CheckpointModel;
  readonly app?: string | undefined;
  readonly runMs: number;
  readonly durability?: Durability | undefined;
  readonly faultModel?: FaultModel | undefined;
  readonly faultGroups?: readonly string[] | undefined;
  readonly paths?: 1 | 2 | undefined;
  readonly dsr?: 'wired' | 'unwired' | undefined;
  readonly fence?: 'wired' | 'unwired' | undefined;
  readonly bus?: 'shared' | 'separate' | undefined;
  /** Where each board's core ran, processor 1 first. */
  readonly engine?: readonly [ImageEngine, ImageEngine] | undefined;
}

export function reproduceLine(spec: ReproduceSpec): string {
  const parts = ['npx tandem simulate', `--seed ${spec.seed}`, `--mode ${spec.mode}`];
  if (spec.app !== undefined) parts.push(`--app ${shellQuoted(spec.app)}`);
  if (spec.runMs !== DEFAULT_RUN_MS) parts.push(`--run-ms ${spec.runMs}`);
  if (spec.durability !== undefined && spec.durability !== DEFAULT_DURABILITY)
    parts.push(`--durability ${spec.durability}`);
  if (spec.faultModel !== undefined && spec.faultModel !== DEFAULT_FAULT_MODEL)
    parts.push(`--fault-model ${spec.faultModel}`);
  if (spec.faultGroups !== undefined)
    parts.push(
      `--fault-groups ${spec.faultGroups.length === 0 ? 'none' : spec.faultGroups.join(',')}`,
    );
  if (spec.paths !== undefined) parts.push(`--paths ${spec.paths}`);
  if (spec.dsr !== undefined) parts.push(`--dsr ${spec.dsr}`);
  if (spec.fence !== undefined) parts.push(`--fence ${spec.fence}`);
  if (spec.bus !== undefined) parts.push(`--bus ${spec.bus}`);
  const [first, second] = spec.engine ?? ['node', 'node'];
  if (first !== 'node' || second !== 'node')
    parts.push(`--engine ${first === second ? first : `${first},${second}`}`);
  return `reproduce with: ${parts.join(' ')}`;
}

function shellQuoted(text: string): string {
  return /^[\w./@:-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
