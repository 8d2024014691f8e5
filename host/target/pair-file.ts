/**
 * Pair files: which two boards a command acts on, as data in a JSON file
 * (`--pair FILE`, the TANDEM_PAIR variable, or a `tandem-pair.json` found by
 * walking up from the working directory). Described once as a spec, like the
 * board and rig profiles: the validator interprets it, `pairFileSchema()`
 * turns it into host/target/pair.schema.json, and the type is inferred.
 *
 * The ports are the host's ends of each board's lines (the names this
 * machine sees, e.g. /dev/serial/by-id/...), not the board's own names for
 * them; a board's profile may be named beside them for its image board name.
 */
import { dirname, resolve } from 'node:path';
import {
  checkProcessorsOnce,
  checkSpec,
  checkUsedOnce,
  type Infer,
  loadBoardProfile,
  type ObjectSpec,
  readProfileJson,
  SCHEMA_REFERENCE,
  type SpecContext,
  STANDARD_BAUD_RATES,
} from '../../boards/profile.ts';
import { specSchema } from '../../boards/profile-schema.ts';
import { PUBLIC_KEY_FILE } from '../image/keys.ts';
import { projectPath } from '../project-dir.ts';
import { PairTargetError } from './target-error.ts';

/** The name a pair file is found by, walking up from the working directory. */
export const PAIR_FILE_NAME = 'tandem-pair.json';
export const PAIR_SCHEMA_FILE = 'pair.schema.json';
/** The board name images must target when the pair file names none. */
export const DEFAULT_IMAGE_BOARD = 'linux';

const hostPort = (description: string) =>
  ({
    type: 'object',
    description,
    properties: {
      path: {
        spec: {
          type: 'string',
          minLength: 1,
          maxLength: 255,
          description:
            "The port as this machine names it, e.g. '/dev/serial/by-id/usb-FTDI_FT232R_A10K1XYZ-if00-port0' (see `tandem ports`).",
        },
      },
      baud: {
        spec: {
          type: 'integer',
          oneOf: STANDARD_BAUD_RATES,
          description: 'Line rate in baud, 8N1: the rate the board runs this port at.',
          expected: `a standard baud rate (${STANDARD_BAUD_RATES.join(', ')})`,
        },
      },
    },
  }) as const satisfies ObjectSpec;

const pairBoard = {
  type: 'object',
  description: 'One board of the pair, as the host reaches it.',
  properties: {
    processor: {
      spec: {
        type: 'literal',
        values: [1, 2],
        description: 'Which processor of the pair this board is.',
      },
    },
    host: { spec: hostPort("The board's management port (status, push, switch, journal).") },
    bus: {
      optional: true,
      spec: hostPort("The board's field-bus port, where clients reach it (`tandem load`)."),
    },
    profile: {
      optional: true,
      spec: {
        type: 'string',
        minLength: 1,
        description:
          "The board's own profile (*.board.json), relative to this file: checked, and its kind names the board images must target unless imageBoard does.",
      },
    },
  },
} as const satisfies ObjectSpec;

export const pairFileSpec = {
  type: 'object',
  description:
    'A Tandem pair: the host ends of the management (and field-bus) ports of two boards. Besides what this schema checks, Tandem refuses a pair that does not name processors 1 and 2 once each or names a port twice.',
  properties: {
    $schema: SCHEMA_REFERENCE,
    name: {
      spec: {
        type: 'string',
        minLength: 1,
        maxLength: 64,
        description: "A name for messages, e.g. 'bench-pis'.",
      },
    },
    boards: {
      spec: {
        type: 'array',
        minItems: 2,
        maxItems: 2,
        items: pairBoard,
        description: 'Processor 1 and processor 2.',
        expected: 'two entries, one for processor 1 and one for processor 2',
      },
    },
    imageBoard: {
      optional: true,
      spec: {
        type: 'string',
        minLength: 1,
        maxLength: 64,
        description: `The board name images must target (default: the profiles' kind, else '${DEFAULT_IMAGE_BOARD}').`,
      },
    },
    publicKey: {
      optional: true,
      spec: {
        type: 'string',
        minLength: 1,
        description: `The public key file the boards trust, relative to this file (default: keys/${PUBLIC_KEY_FILE} in the project's .tandem/ folder, the nearest one from the working directory up); a push checks images against it first.`,
      },
    },
  },
} as const satisfies ObjectSpec;

export type PairFile = Infer<typeof pairFileSpec>;
export type PairFileBoard = PairFile['boards'][number];

export function pairFileSchema() {
  return specSchema(pairFileSpec, 'Tandem pair');
}

export function pairFileSchemaText(): string {
  return `${JSON.stringify(pairFileSchema(), null, 2)}\n`;
}

/** Checks a parsed pair file; throws PairTargetError 'bad-pair-file' naming the field. */
export function parsePairFile(json: unknown, source: string): PairFile {
  const root = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const context: SpecContext = {
    source,
    root,
    noun: 'a pair file',
    error: (field, message) =>
      new PairTargetError('bad-pair-file', message, pairFileHint(field === '' ? null : field)),
  };
  const pair = checkSpec(pairFileSpec, json, '', context) as PairFile;
  // Rules the schema cannot state: each processor once,
  checkProcessorsOnce(pair.boards, context);
  // and each port once.
  checkUsedOnce(
    context,
    pair.boards.flatMap((board, index) =>
      (['host', 'bus'] as const).flatMap((line) => {
        const port = board[line];
        if (port === undefined) return [];
        const field = `boards[${index}].${line}.path`;
        return [{ field, name: field, key: port.path, shown: `"${port.path}"` }];
      }),
    ),
    'port',
    'a port of its own',
  );
  return pair;
}

function pairFileHint(field: string | null): string {
  return `fix ${field === null ? 'the file' : `"${field}"`}; the schema is host/target/${PAIR_SCHEMA_FILE} (point "$schema" at it for editor checks)`;
}

/** A pair file read, checked, and with its relative paths made absolute. */
export interface LoadedPair {
  readonly file: string;
  readonly pair: PairFile;
  /** The board name images must target. */
  readonly imageBoard: string;
  /** The public key file, absolute. */
  readonly publicKeyFile: string;
}

/** Reads and checks a pair file, and the profiles it names. */
export async function loadPairFile(file: string, cwd: string): Promise<LoadedPair> {
  const absolute = resolve(cwd, file);
  const json = await readProfileJson(absolute, file, 'pair file', (code, message, cause) =>
    code === 'unreadable'
      ? new PairTargetError(
          'pair-file-unreadable',
          message,
          'name an existing pair file (--pair FILE or TANDEM_PAIR), or name the pair with --port P1,P2 or --lab DIR',
          { cause },
        )
      : new PairTargetError('bad-pair-file', message, pairFileHint(null), { cause }),
  );
  const pair = parsePairFile(json, file);
  const here = dirname(absolute);
  const kinds = new Set<string>();
  for (const [index, board] of pair.boards.entries()) {
    if (board.profile === undefined) continue;
    const profileFile = resolve(here, board.profile);
    let profile: Awaited<ReturnType<typeof loadBoardProfile>>;
    try {
      profile = await loadBoardProfile(profileFile);
    } catch (cause) {
      throw new PairTargetError(
        'bad-profile',
        `${file}: boards[${index}].profile: ${(cause as Error).message}`,
        'fix the profile, or drop "profile" from the pair file',
        { cause },
      );
    }
    if (profile.processor !== board.processor) {
      throw new PairTargetError(
        'bad-profile',
        `${file}: boards[${index}].profile is the profile of processor ${profile.processor}, the entry is processor ${board.processor}`,
        'name the profile of the same processor',
      );
    }
    kinds.add(profile.kind);
  }
  return {
    file: absolute,
    pair,
    imageBoard:
      pair.imageBoard ?? (kinds.size === 1 ? [...kinds][0] : undefined) ?? DEFAULT_IMAGE_BOARD,
    publicKeyFile:
      pair.publicKey === undefined
        ? resolve(cwd, projectPath(cwd, 'keys', PUBLIC_KEY_FILE))
        : resolve(here, pair.publicKey),
  };
}
