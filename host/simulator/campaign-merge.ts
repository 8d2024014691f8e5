/**
 * `simulate merge`: adds up the seed lines of shards (`simulate --shard K/N
 * --jsonl FILE`) into the result one run over the whole range gives. The
 * lines must be one campaign's (same app, model, durability, faults and length), every
 * seed once, with no seed missing between the first and the last: a lost
 * shard is an error, never a smaller campaign.
 */
import { HintedError } from '../../boards/hinted-error.ts';
import { type CampaignResult, CampaignTally } from './campaign-tally.ts';
import { type CampaignIdentity, COUNTED, type SeedLine } from './seed-line.ts';

export type CampaignMergeErrorCode =
  /** A line is not JSON, or not a seed line. */
  | 'not-a-seed-line'
  /** Lines from different campaigns. */
  | 'mixed-campaigns'
  /** The same seed twice (a shard given twice?). */
  | 'duplicate-seed'
  /** Seeds missing inside the range (a shard left out?). */
  | 'missing-seeds'
  /** No seed lines at all. */
  | 'no-seeds';

const HINTS: Readonly<Record<CampaignMergeErrorCode, string>> = {
  'not-a-seed-line':
    'give the files `tandem simulate --jsonl FILE` wrote, one JSON object per line, unchanged',
  'mixed-campaigns':
    'merge shards of one campaign only: the same --mode, --app, --durability, --fault-model, --fault-groups, topology options, --run-ms and --engine',
  'duplicate-seed': 'give each shard once; shards of one --seeds/--start-seed range never overlap',
  'missing-seeds':
    'give every shard of the range (`--shard 1/N` to `--shard N/N`); a shard that failed must be run again',
  'no-seeds': 'give at least one non-empty file written by `tandem simulate --jsonl FILE`',
};

export class CampaignMergeError extends HintedError<CampaignMergeErrorCode> {
  readonly campaignMergeError = true;
  override name = 'CampaignMergeError';

  constructor(code: CampaignMergeErrorCode, message: string) {
    super(code, message, HINTS[code]);
  }
}

/** One input of a merge: where its text came from (for messages) and the text. */
export interface MergeInput {
  readonly name: string;
  readonly text: string;
}

/** Seed lines' result, as one run over their whole range would give it, and their campaign. */
export function mergeSeedLines(inputs: readonly MergeInput[]): {
  readonly result: CampaignResult;
  readonly campaign: CampaignIdentity;
} {
  const lines: SeedLine[] = [];
  for (const { name, text } of inputs) {
    text.split('\n').forEach((raw, i) => {
      if (raw.trim() !== '') lines.push(parseLine(raw, `${name}:${i + 1}`));
    });
  }
  const first = lines[0];
  if (first === undefined) throw new CampaignMergeError('no-seeds', 'no seed lines to merge');
  const identity = JSON.stringify(first.campaign);
  for (const line of lines) {
    if (JSON.stringify(line.campaign) !== identity) {
      throw new CampaignMergeError(
        'mixed-campaigns',
        `seed ${line.seed} belongs to ${JSON.stringify(line.campaign)}, seed ${first.seed} to ${identity}`,
      );
    }
  }
  lines.sort((a, b) => a.seed - b.seed);
  const tally = new CampaignTally();
  let previous: number | null = null;
  for (const line of lines) {
    if (previous === line.seed)
      throw new CampaignMergeError('duplicate-seed', `seed ${line.seed} appears twice`);
    if (previous !== null && line.seed !== previous + 1) {
      throw new CampaignMergeError(
        'missing-seeds',
        `seeds ${previous + 1} to ${line.seed - 1} are missing`,
      );
    }
    previous = line.seed;
    tally.add(line);
  }
  const result = tally.result(first.campaign, (lines[0] as SeedLine).seed, tally.seedWallMs);
  return { result, campaign: first.campaign };
}

function parseLine(raw: string, where: string): SeedLine {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new CampaignMergeError('not-a-seed-line', `${where} is not JSON`);
  }
  const line = value as Partial<Record<string, unknown>>;
  const numbers = ['seed', 'holdMsMax', 'finalStateBytes', 'wallMs', ...COUNTED];
  const shaped =
    typeof value === 'object' &&
    value !== null &&
    numbers.every((key) => typeof line[key] === 'number') &&
    Number.isSafeInteger(line.seed) &&
    typeof line.campaign === 'object' &&
    typeof line.topologyName === 'string' &&
    typeof line.faultCounts === 'object' &&
    typeof line.violationKinds === 'object' &&
    Array.isArray(line.firstViolations) &&
    typeof line.multiFaultKinds === 'object' &&
    Array.isArray(line.firstMultiFault);
  if (!shaped) throw new CampaignMergeError('not-a-seed-line', `${where} is not a seed line`);
  const seedLine = value as SeedLine;
  // A line written before the engines were named ran both cores in this process.
  const campaign: CampaignIdentity = {
    ...seedLine.campaign,
    engines: seedLine.campaign.engines ?? ['node', 'node'],
  };
  return { ...seedLine, campaign };
}
