/**
 * Rig profiles: how a rig switches the two boards' power, as data in a
 * `*.rig.json` file: relays on a Firmata board (`firmata`, and the lab's
 * relay controller, `sim`), or shell commands (`command`) for any other
 * power switch (labgrid, LAVA's power commands, PDUDaemon, a switchable USB
 * hub). Described once as a spec, like the board profiles (profile.ts):
 * the validator interprets the spec, `rigProfileSchema()` turns it into the
 * JSON Schema, and the type is inferred from it.
 *
 * The format lives with the board support because both sides of the wiring
 * read it: the HIL rig drives the relays (hil/rig.ts), and the simulated
 * lab's relay controller is wired by it (host/lab/relay-controller.ts). The
 * committed HIL profiles and the schema are in hil/profiles/; the lab's own
 * wiring is beside its relay controller.
 *
 * A relay module is driven active-high (pin HIGH energises the coil). The
 * contact a board's supply runs through decides what energising does:
 * through the normally-open contact the board is powered only while the coil
 * is energised; through the normally-closed one energising cuts it. (An
 * active-low module on one contact behaves like an active-high one on the
 * other: name the contact as the pin sees it.)
 */
import {
  checkProcessorsOnce,
  checkSpec,
  checkUsedOnce,
  describeValue,
  fail,
  type Infer,
  type ObjectSpec,
  readProfileJson,
  SCHEMA_REFERENCE,
  type SpecContext,
} from './profile.ts';
import { specSchema } from './profile-schema.ts';

/** Arduino pins 0 and 1 are the serial line StandardFirmata talks on. */
export const FIRST_RELAY_PIN = 2;
/** Firmata numbers at most 128 pins. */
export const LAST_RELAY_PIN = 127;
export const RESET_PULSE_MS_DEFAULT = 100;
export const RESET_PULSE_MS_MAX = 10_000;
/** How long one power command may run before it counts as failed. */
export const POWER_COMMAND_TIMEOUT_MS_DEFAULT = 30_000;
export const POWER_COMMAND_TIMEOUT_MS_MAX = 600_000;
/** What a command names a board by: safe inside a shell word without quoting. */
const BOARD_NAME = '^[A-Za-z0-9_.:/@+-]{1,64}$';
/** Where a power command puts the board's name. */
export const BOARD_PLACEHOLDER = '{board}';

const powerCommand = (description: string) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength: 4096,
    description: `${description} Run by /bin/sh; ${BOARD_PLACEHOLDER} becomes the board's name. It fails when it exits non-zero or runs longer than timeoutMs.`,
  }) as const;

const relay = (description: string) =>
  ({
    type: 'object',
    description,
    properties: {
      pin: {
        spec: {
          type: 'integer',
          minimum: FIRST_RELAY_PIN,
          maximum: LAST_RELAY_PIN,
          description:
            'The Firmata digital pin that drives the relay (2 upwards: 0 and 1 are the serial line).',
        },
      },
      contact: {
        spec: {
          type: 'literal',
          values: ['normally-open', 'normally-closed'],
          description:
            "Which contact the line runs through: 'normally-open' conducts only while the relay is energised (pin HIGH), 'normally-closed' conducts until it is.",
        },
      },
    },
  }) as const satisfies ObjectSpec;

const boardWiring = {
  type: 'object',
  description: 'The relays of one board.',
  properties: {
    processor: {
      spec: {
        type: 'literal',
        values: [1, 2],
        description: 'Which processor of the pair these relays switch.',
      },
    },
    power: {
      optional: true,
      spec: relay("The relay in the board's supply (kinds 'sim' and 'firmata')."),
    },
    reset: {
      optional: true,
      spec: relay("A relay that holds the board's reset line asserted while it conducts."),
    },
    name: {
      optional: true,
      spec: {
        type: 'string',
        pattern: BOARD_NAME,
        description: `What the power commands call this board: the value of ${BOARD_PLACEHOLDER} (kind 'command'; default the processor number). A PDU port, a labgrid place, a hub port.`,
        expected:
          '1 to 64 letters, digits or _ . : / @ + - (it goes into a shell command unquoted)',
      },
    },
  },
} as const satisfies ObjectSpec;

export const rigProfileSpec = {
  type: 'object',
  description:
    "A Tandem HIL rig: which Firmata pins, or which shell commands, switch the power (and reset) of the two boards. Besides what this schema checks, Tandem refuses a profile that names a pin twice, does not wire processors 1 and 2 once each, gives relays to kind 'command' or commands to the others, or has a command without {board}.",
  properties: {
    $schema: SCHEMA_REFERENCE,
    name: {
      spec: {
        type: 'string',
        minLength: 1,
        maxLength: 64,
        description: "A name for logs and reports, e.g. 'bench-uno'.",
      },
    },
    kind: {
      spec: {
        type: 'literal',
        values: ['sim', 'firmata', 'command'],
        description:
          "'sim': the simulated lab's relay controller; 'firmata': an Arduino running StandardFirmata with a relay module; 'command': shell commands switch the power (see commands).",
      },
    },
    commands: {
      optional: true,
      spec: {
        type: 'object',
        description: `The power commands of kind 'command', one for both boards: ${BOARD_PLACEHOLDER} names the board.`,
        properties: {
          on: { spec: powerCommand("Switches a board's power on.") },
          off: { spec: powerCommand("Switches a board's power off.") },
          cycle: {
            optional: true,
            spec: powerCommand(
              "Switches a board's power off and on again (a PDU's reboot); without it, a cycle is off then on.",
            ),
          },
          timeoutMs: {
            optional: true,
            spec: {
              type: 'integer',
              minimum: 1,
              maximum: POWER_COMMAND_TIMEOUT_MS_MAX,
              description: `How long one command may run (ms, default ${POWER_COMMAND_TIMEOUT_MS_DEFAULT}).`,
            },
          },
        },
      },
    },
    boards: {
      spec: {
        type: 'array',
        minItems: 2,
        maxItems: 2,
        items: boardWiring,
        description: 'The relays of processor 1 and processor 2.',
        expected: 'two entries, one for processor 1 and one for processor 2',
      },
    },
    resetPulseMs: {
      optional: true,
      spec: {
        type: 'integer',
        minimum: 1,
        maximum: RESET_PULSE_MS_MAX,
        description: `How long a reset relay conducts for one reset pulse (ms, default ${RESET_PULSE_MS_DEFAULT}).`,
      },
    },
  },
} as const satisfies ObjectSpec;

export type RigProfile = Infer<typeof rigProfileSpec>;
export type RigBoardWiring = RigProfile['boards'][number];
export type RigRelay = NonNullable<RigBoardWiring['power']>;
export type RigCommands = NonNullable<RigProfile['commands']>;

/** The schema's file name, beside the committed profiles (hil/profiles/). */
export const RIG_PROFILE_SCHEMA_FILE = 'rig-profile.schema.json';

export type RigProfileErrorCode = 'bad-profile' | 'unreadable';

/** A rig profile that cannot be used; the message names the file, the field and what is expected. */
export class RigProfileError extends Error {
  readonly rigProfileError = true;
  override name = 'RigProfileError';
  constructor(
    readonly code: RigProfileErrorCode,
    readonly source: string,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function rigProfileSchema() {
  return specSchema(rigProfileSpec, 'Tandem HIL rig profile');
}

export function rigProfileSchemaText(): string {
  return `${JSON.stringify(rigProfileSchema(), null, 2)}\n`;
}

/** The wiring of one processor; a parsed profile always has both. */
export function wiringOf(profile: RigProfile, processor: 1 | 2): RigBoardWiring {
  const wiring = profile.boards.find((b) => b.processor === processor);
  if (wiring === undefined)
    throw new Error(`rig profile ${profile.name} has no processor ${processor}`);
  return wiring;
}

/** Checks a parsed `*.rig.json` and returns the profile (without `$schema`); throws RigProfileError. */
export function parseRigProfile(json: unknown, source: string): RigProfile {
  const root = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const context: SpecContext = {
    source,
    root,
    noun: 'a rig profile',
    error: (field, message) => new RigProfileError('bad-profile', source, field, message),
  };
  const profile = checkSpec(rigProfileSpec, json, '', context) as RigProfile;
  // Rules the schema cannot state: each processor once,
  checkProcessorsOnce(profile.boards, context);
  checkBackend(profile, context);
  // and each pin drives one relay.
  checkUsedOnce(
    context,
    profile.boards.flatMap((board, index) =>
      (['power', 'reset'] as const).flatMap((line) => {
        const wired = board[line];
        if (wired === undefined) return [];
        const field = `boards[${index}].${line}.pin`;
        return [{ field, name: field, key: wired.pin, shown: describeValue(wired.pin) }];
      }),
    ),
    'pin',
    'a pin of its own for every relay',
  );
  return profile;
}

/** Relays for the relay kinds, commands for 'command', never both; each command names its board. */
function checkBackend(profile: RigProfile, context: SpecContext): void {
  if (profile.kind === 'command') {
    if (profile.commands === undefined) {
      fail(context, 'commands', 'is missing', "the power commands of kind 'command': on, off");
    }
    for (const [key, command] of Object.entries(profile.commands)) {
      if (typeof command === 'string' && !command.includes(BOARD_PLACEHOLDER)) {
        fail(
          context,
          `commands.${key}`,
          `is ${describeValue(command)}, which does not name the board`,
          `a command with ${BOARD_PLACEHOLDER} where the board's name goes (one command serves both boards)`,
        );
      }
    }
    profile.boards.forEach((board, index) => {
      for (const line of ['power', 'reset'] as const) {
        if (board[line] !== undefined) {
          fail(
            context,
            `boards[${index}].${line}`,
            "is a relay, but kind 'command' switches power with commands",
            "no relays with kind 'command' (or kind 'firmata')",
          );
        }
      }
    });
    return;
  }
  if (profile.commands !== undefined) {
    fail(
      context,
      'commands',
      `is given for kind ${describeValue(profile.kind)}`,
      "commands only with kind 'command'",
    );
  }
  profile.boards.forEach((board, index) => {
    if (board.power === undefined) {
      fail(
        context,
        `boards[${index}].power`,
        'is missing',
        `the board's power relay { "pin", "contact" } for kind ${describeValue(profile.kind)}`,
      );
    }
    if (board.name !== undefined) {
      fail(
        context,
        `boards[${index}].name`,
        `is given for kind ${describeValue(profile.kind)}`,
        "a board name only with kind 'command' (it fills {board} in the commands)",
      );
    }
  });
}

/** What the power commands call `processor`: its `name`, or its number. */
export function boardNameOf(profile: RigProfile, processor: 1 | 2): string {
  return wiringOf(profile, processor).name ?? String(processor);
}

/** Reads and checks a `*.rig.json` file. */
export async function loadRigProfile(file: string | URL): Promise<RigProfile> {
  const source = file instanceof URL ? decodeURIComponent(file.pathname) : file;
  const json = await readProfileJson(
    file,
    source,
    'rig profile',
    (code, message, cause) => new RigProfileError(code, source, '', message, { cause }),
  );
  return parseRigProfile(json, source);
}
