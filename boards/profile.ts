/**
 * Board profiles: what a board is made of, as data in a `*.board.json` file.
 *
 * The fields are described once, as data (`boardProfileSpec`). The validator
 * below interprets that description, `profile-schema.ts` turns the same
 * description into a JSON Schema for editors, and a type-level test checks
 * that the described shape is exactly `BoardProfile`. Change a field in one
 * place and the other two follow, or the type check fails.
 */
import { readFile } from 'node:fs/promises';
import type { StoreGeometry } from '../firmware/hal.ts';

// ---------------------------------------------------------------------------
// The type

/** A serial port: a device path on a Linux board, an endpoint name in the simulator. */
export interface BoardPort {
  readonly path: string;
  /** Line rate, one of `STANDARD_BAUD_RATES` (8N1: baud / 10 bytes a second). */
  readonly baud: number;
}

/** Which lines, besides TX/RX and ground, run between the two boards. */
export interface BoardLines {
  /** The partner's DTR is wired to our DSR on every interconnect path: a power loss is seen at once. */
  readonly dsrFromPartner: boolean;
  /** A line from us to the partner's reset: a takeover fences the old primary first. */
  readonly fenceToPartnerReset: boolean;
  /** The GPIO that drives the fence line (kind 'linux' with `fenceToPartnerReset`). */
  readonly fenceGpio?: FenceGpio;
  /**
   * The DSR substitute, for UARTs without modem lines (kind 'linux'): our
   * liveness goes out on a GPIO output, the partner's comes in on a GPIO
   * input. One wire each way stands for every interconnect path.
   */
  readonly dsrGpio?: DsrGpio;
  /**
   * The field bus is one multi-drop line (RS-485) that both boards hear:
   * only the serving board answers, and a backup that takes over answers
   * the requests in flight without the clients resending them. False (each
   * board has a bus of its own) when absent.
   */
  readonly busShared?: boolean;
}

/** One line of a GPIO chip, as the kernel's GPIO character device numbers it. */
export interface GpioLine {
  /** The chip: 'gpiochip0' or '/dev/gpiochip0'. */
  readonly chip: string;
  /** The line's offset on the chip (on a Raspberry Pi's gpiochip0, the BCM GPIO number). */
  readonly line: number;
  /** Which level means asserted: 'high' (3.3 V) or 'low' (0 V). */
  readonly activeLevel: 'high' | 'low';
}

export interface FenceGpio {
  readonly chip: string;
  readonly line: number;
  readonly activeLevel: 'high' | 'low';
  /** How long one fence pulse holds the partner in reset (ms, default `FENCE_PULSE_MS_DEFAULT`). */
  readonly pulseMs?: number;
}

export interface DsrGpio {
  /** Our liveness, asserted while our image runs: wired to the partner's `fromPartner`. */
  readonly toPartner: GpioLine;
  /** The partner's liveness: wired from the partner's `toPartner`. */
  readonly fromPartner: GpioLine;
}

export const FENCE_PULSE_MS_DEFAULT = 100;

export interface BoardFlash {
  /** Bytes of one image slot (the board has two, A and B). */
  readonly slotBytes: number;
  /** Bytes of non-volatile memory for the boot state (slot choice, trial flag, incarnation). */
  readonly nvmBytes: number;
}

/** Overrides of the pair's failure-detection timing (defaults in `firmware/runtime/config.ts`). */
export interface BoardTiming {
  readonly heartbeatIntervalMs?: number;
  readonly suspectMissCount?: number;
}

/**
 * The pair's limits on this board (defaults in `firmware/runtime/config.ts`):
 * those of its class, then any it sets itself.
 */
export interface BoardLimits {
  /** 'microcontroller': the limits of a board with a few hundred KiB of heap (boards/microcontroller-limits.ts); 'linux' (the default): the pair's defaults. */
  readonly class?: 'microcontroller' | 'linux';
  /** Clients whose last replies the reply cache keeps: both boards of a pair must give the same. */
  readonly clientsMax?: number;
  /** Bytes of the big checkpoint in one frame. */
  readonly snapshotChunkBytes?: number;
  /** Checkpoint entries in one frame at most. */
  readonly checkpointEntriesMax?: number;
  /** Frames queued for the partner at most (the reliable channel's queue). */
  readonly channelQueueMax?: number;
  /** Replies waiting for the backup at most. */
  readonly pendingRepliesMax?: number;
  /** Bytes of a snapshot encoded in one call at most. */
  readonly encodeSliceBytes?: number;
  /** Held requests served, or released replies sent, in one call at most. */
  readonly heldServedMax?: number;
}

export interface BoardProfile {
  /** A name for logs and status, e.g. 'linux-rpi-p1'. */
  readonly name: string;
  /** 'sim': a board in the simulator; 'linux': Node on a Linux board with real UARTs. */
  readonly kind: 'sim' | 'linux';
  /** Which processor of the pair this board is; 1 wins the tie-break when both boot together. */
  readonly processor: 1 | 2;
  /** Interconnect paths to the partner, in path order (one or two). */
  readonly interconnect: readonly BoardPort[];
  /** The management port (status, switch command). */
  readonly host: BoardPort;
  /** The port clients reach us on (the field bus). */
  readonly bus: BoardPort;
  readonly lines: BoardLines;
  readonly flash: BoardFlash;
  /**
   * The durable region a `retained` app keeps its log in (flash or
   * retentive memory); a board without one runs `memory` apps only.
   */
  readonly store?: StoreGeometry;
  readonly timing?: BoardTiming;
  readonly limits?: BoardLimits;
}

/** The termios rates from 9600 to 4000000 baud (Linux B9600 ... B4000000). */
export const STANDARD_BAUD_RATES = [
  9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000,
  1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
] as const;

// ---------------------------------------------------------------------------
// The description language: a small subset of JSON Schema, as TypeScript data

interface SpecBase {
  /** Shown in the JSON Schema (editor hovers). */
  readonly description?: string;
  /** What a valid value looks like, for error messages; derived from the constraints if absent. */
  readonly expected?: string;
}

/** A pattern that applies to a string only when a root-level field has a given value. */
export interface PatternCase {
  /** ECMA-262 regular expression, anchored by the author. */
  readonly pattern: string;
  readonly expected: string;
}

export interface StringSpec extends SpecBase {
  readonly type: 'string';
  /** Length in Unicode code points, as JSON Schema counts it. */
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  /** Patterns chosen by the value of a root-level field (e.g. device paths for kind 'linux'). */
  readonly patternBy?: {
    readonly field: string;
    readonly cases: Readonly<Record<string, PatternCase>>;
  };
}

export interface IntegerSpec extends SpecBase {
  readonly type: 'integer';
  readonly minimum?: number;
  readonly maximum?: number;
  /** The only values allowed (the type stays `number`). */
  readonly oneOf?: readonly number[];
}

export interface BooleanSpec extends SpecBase {
  readonly type: 'boolean';
}

/** One of a few constants; the type is their union. */
export interface LiteralSpec extends SpecBase {
  readonly type: 'literal';
  readonly values: readonly (string | number)[];
}

export interface ArraySpec extends SpecBase {
  readonly type: 'array';
  readonly items: FieldSpec;
  readonly minItems: number;
  readonly maxItems: number;
}

export interface PropertySpec {
  readonly spec: FieldSpec;
  readonly optional?: true;
  /**
   * Allowed in the file but not part of the value (e.g. `$schema`): checked,
   * then dropped by the parser, and absent from the inferred type.
   */
  readonly annotation?: true;
}

export interface ObjectSpec extends SpecBase {
  readonly type: 'object';
  /** Every allowed key; any other key is refused. Keys are checked in this order. */
  readonly properties: Readonly<Record<string, PropertySpec>>;
}

export type FieldSpec =
  | StringSpec
  | IntegerSpec
  | BooleanSpec
  | LiteralSpec
  | ArraySpec
  | ObjectSpec;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type InferObject<P> = Simplify<
  {
    readonly [K in keyof P as P[K] extends { annotation: true }
      ? never
      : P[K] extends { optional: true }
        ? never
        : K]: P[K] extends { spec: infer S } ? Infer<S> : never;
  } & {
    readonly [K in keyof P as P[K] extends { annotation: true }
      ? never
      : P[K] extends { optional: true }
        ? K
        : never]?: P[K] extends { spec: infer S } ? Infer<S> : never;
  }
>;

/** The TypeScript type a description describes. */
export type Infer<S> = S extends { type: 'string' }
  ? string
  : S extends { type: 'integer' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'literal'; values: readonly (infer V)[] }
        ? V
        : S extends { type: 'array'; items: infer I }
          ? readonly Infer<I>[]
          : S extends { type: 'object'; properties: infer P }
            ? InferObject<P>
            : never;

// ---------------------------------------------------------------------------
// The description of a board profile

const SIM_ENDPOINT = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
const DEVICE_PATH = '^/dev/[^\\s]+$';

const portPath = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  description:
    "A device path on a Linux board (e.g. '/dev/ttyAMA1'), an endpoint name in the simulator (e.g. 'p1-path0').",
  patternBy: {
    field: 'kind',
    cases: {
      sim: {
        pattern: SIM_ENDPOINT,
        expected:
          "a simulator endpoint name (letters, digits, '-', '_' or '.', e.g. 'p1-path0') for kind 'sim'",
      },
      linux: {
        pattern: DEVICE_PATH,
        expected: "a device path under /dev (e.g. '/dev/ttyAMA1') for kind 'linux'",
      },
    },
  },
} as const satisfies StringSpec;

const baud = {
  type: 'integer',
  oneOf: STANDARD_BAUD_RATES,
  description: 'Line rate in baud, 8N1: a standard rate from 9600 to 4000000.',
  expected: `a standard baud rate (${STANDARD_BAUD_RATES.join(', ')})`,
} as const satisfies IntegerSpec;

const port = (description: string) =>
  ({
    type: 'object',
    description,
    properties: {
      path: { spec: portPath },
      baud: { spec: baud },
    },
  }) as const satisfies ObjectSpec;

/** One of a profile's optional pair limits: a whole number in a range. */
const optionalLimit = (minimum: number, maximum: number, description: string) =>
  ({
    optional: true,
    spec: { type: 'integer', minimum, maximum, description },
  }) as const satisfies PropertySpec;

const MAX_BYTES = 2 ** 32;

/** Bounds of a profile's store: an erase block of at most 16 MiB, at most 65536 of them. */
export const STORE_BLOCK_BYTES_MAX = 16 * 1024 * 1024;
export const STORE_BLOCK_COUNT_MAX = 65_536;

/** The highest line offset a profile may name (the uAPI allows more; no board has them). */
export const GPIO_LINE_MAX = 4095;

const gpioLineProperties = {
  chip: {
    spec: {
      type: 'string',
      pattern: '^(/dev/)?gpiochip[0-9]{1,3}$',
      description: "The GPIO chip: 'gpiochip0' or '/dev/gpiochip0' (see `gpiodetect`).",
      expected: "a GPIO chip such as 'gpiochip0' or '/dev/gpiochip0'",
    },
  },
  line: {
    spec: {
      type: 'integer',
      minimum: 0,
      maximum: GPIO_LINE_MAX,
      description:
        "The line's offset on the chip (on a Raspberry Pi's gpiochip0, the BCM GPIO number; see `gpioinfo`).",
    },
  },
  activeLevel: {
    spec: {
      type: 'literal',
      values: ['high', 'low'],
      description: "Which level means asserted: 'high' (3.3 V) or 'low' (0 V).",
    },
  },
} as const;

const gpioLine = (description: string) =>
  ({ type: 'object', description, properties: gpioLineProperties }) as const satisfies ObjectSpec;

/** A profile file's `$schema` entry: for editors, ignored by Tandem. */
export const SCHEMA_REFERENCE = {
  annotation: true,
  optional: true,
  spec: {
    type: 'string',
    minLength: 1,
    description: 'The JSON Schema this file follows, for editors; ignored by Tandem.',
  },
} as const;

export const boardProfileSpec = {
  type: 'object',
  description:
    'A Tandem board profile: the ports, lines, flash and durable store of one board of a pair. Besides what this schema checks, Tandem refuses a profile that names the same port twice or gives its interconnect paths different baud rates, checks the GPIO lines (only on kind linux, fenceGpio exactly when fenceToPartnerReset is true, dsrGpio only with dsrFromPartner, no line named twice) and the store (writeBytes divides eraseBlockBytes, at most 4 GiB).',
  properties: {
    $schema: SCHEMA_REFERENCE,
    name: {
      spec: {
        type: 'string',
        minLength: 1,
        maxLength: 64,
        description: "A name for logs and status, e.g. 'linux-rpi-p1'.",
      },
    },
    kind: {
      spec: {
        type: 'literal',
        values: ['sim', 'linux'],
        description:
          "'sim': a board in the simulator; 'linux': Node on a Linux board (e.g. a Raspberry Pi) with real UARTs.",
      },
    },
    processor: {
      spec: {
        type: 'literal',
        values: [1, 2],
        description:
          'Which processor of the pair this board is; 1 wins the tie-break when both boot together.',
      },
    },
    interconnect: {
      spec: {
        type: 'array',
        minItems: 1,
        maxItems: 2,
        items: port('One interconnect path to the partner.'),
        description:
          'Interconnect paths to the partner, in path order. Two paths keep a single cut cable from looking like a dead partner.',
        expected: '1 or 2 interconnect paths, each { "path", "baud" }',
      },
    },
    host: { spec: port('The management port (status, switch command).') },
    bus: { spec: port('The port clients reach us on (the field bus).') },
    lines: {
      spec: {
        type: 'object',
        description: 'Which lines, besides TX, RX and ground, run between the two boards.',
        properties: {
          dsrFromPartner: {
            spec: {
              type: 'boolean',
              description:
                "The partner's DTR is wired to our DSR on every interconnect path, so a power loss is seen at once.",
            },
          },
          fenceToPartnerReset: {
            spec: {
              type: 'boolean',
              description:
                "A line from us to the partner's reset: a takeover fences (resets) the old primary first.",
            },
          },
          fenceGpio: {
            optional: true,
            spec: {
              type: 'object',
              description:
                "The GPIO that drives the fence line (kind 'linux', required with fenceToPartnerReset): asserted for pulseMs, it resets the partner.",
              properties: {
                ...gpioLineProperties,
                pulseMs: {
                  optional: true,
                  spec: {
                    type: 'integer',
                    minimum: 1,
                    maximum: 10_000,
                    description: `How long one fence pulse holds the partner in reset (ms, default ${FENCE_PULSE_MS_DEFAULT}).`,
                  },
                },
              },
            },
          },
          dsrGpio: {
            optional: true,
            spec: {
              type: 'object',
              description:
                "The DSR substitute for UARTs without modem lines (kind 'linux', with dsrFromPartner): our liveness on a GPIO output, the partner's on a GPIO input. One wire each way stands for every interconnect path.",
              properties: {
                toPartner: {
                  spec: gpioLine(
                    "Our liveness, asserted while our image runs; wired to the partner's fromPartner.",
                  ),
                },
                fromPartner: {
                  spec: gpioLine("The partner's liveness; wired from the partner's toPartner."),
                },
              },
            },
          },
          busShared: {
            optional: true,
            spec: {
              type: 'boolean',
              description:
                'The field bus is one multi-drop line (RS-485) both boards hear: only the serving board answers, and a backup that takes over answers the requests in flight without a resend. False when absent.',
            },
          },
        },
      },
    },
    flash: {
      spec: {
        type: 'object',
        description: 'Image and boot-state storage.',
        properties: {
          slotBytes: {
            spec: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_BYTES,
              description: 'Bytes of one image slot (the board has two, A and B).',
            },
          },
          nvmBytes: {
            spec: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_BYTES,
              description:
                'Bytes of non-volatile memory for the boot state (slot choice, trial flag, incarnation).',
            },
          },
        },
      },
    },
    store: {
      optional: true,
      spec: {
        type: 'object',
        description:
          'The durable region a retained app keeps its write-ahead log in (flash or retentive memory, erased bytes 0xff); without it the board runs memory apps only. Its bytes live in a file named when the board starts.',
        properties: {
          eraseBlockBytes: {
            spec: {
              type: 'integer',
              minimum: 16,
              maximum: STORE_BLOCK_BYTES_MAX,
              description: 'Bytes of one erase block; an erase sets a whole block to 0xff.',
            },
          },
          writeBytes: {
            spec: {
              type: 'integer',
              minimum: 1,
              maximum: STORE_BLOCK_BYTES_MAX,
              description:
                'The program unit: writes start at, and are a whole number of, this many bytes. Divides eraseBlockBytes.',
            },
          },
          blockCount: {
            spec: {
              type: 'integer',
              minimum: 2,
              maximum: STORE_BLOCK_COUNT_MAX,
              description:
                'Erase blocks in the region (at least 2: the log keeps two areas that take turns).',
            },
          },
          enduranceCycles: {
            spec: {
              type: 'integer',
              minimum: 1,
              maximum: 1_000_000_000,
              description:
                "Erase cycles a block is rated for (the datasheet's endurance), for the wear figures.",
            },
          },
        },
      },
    },
    timing: {
      optional: true,
      spec: {
        type: 'object',
        description:
          'Overrides of the failure-detection timing; defaults in firmware/runtime/config.ts.',
        properties: {
          heartbeatIntervalMs: {
            optional: true,
            spec: {
              type: 'integer',
              minimum: 1,
              maximum: 10_000,
              description: 'A heartbeat goes out on every path at least this often (ms).',
            },
          },
          suspectMissCount: {
            optional: true,
            spec: {
              type: 'integer',
              minimum: 1,
              maximum: 1000,
              description: 'A path is down after this many heartbeat intervals of silence.',
            },
          },
        },
      },
    },
    limits: {
      optional: true,
      spec: {
        type: 'object',
        description:
          "The pair's limits on this board: those of its class, then any it sets itself; defaults in firmware/runtime/config.ts.",
        properties: {
          class: {
            optional: true,
            spec: {
              type: 'literal',
              values: ['microcontroller', 'linux'],
              description:
                "'microcontroller': the limits of a board with a few hundred KiB of heap (boards/microcontroller-limits.ts); 'linux' (the default): the pair's defaults.",
            },
          },
          clientsMax: optionalLimit(
            1,
            65_536,
            'Clients whose last replies the reply cache keeps (256 by default): both boards of a pair must give the same, or the backup is refused.',
          ),
          snapshotChunkBytes: optionalLimit(
            64,
            2048,
            'Bytes of the big checkpoint in one frame (by default about 40 ms of the line): a write waits for at most one chunk on the line.',
          ),
          checkpointEntriesMax: optionalLimit(
            1,
            256,
            'Checkpoint entries in one frame at most (32; 8 for a microcontroller).',
          ),
          channelQueueMax: optionalLimit(
            64,
            65_536,
            'Frames queued for the partner at most (1024; 256 for a microcontroller): the queue is allocated whole.',
          ),
          pendingRepliesMax: optionalLimit(
            1,
            65_536,
            'Replies waiting for the backup at most (512; 128 for a microcontroller): past it a request is refused busy.',
          ),
          encodeSliceBytes: optionalLimit(
            256,
            16 * 1024 * 1024,
            'Bytes of a snapshot encoded in one call at most (16 KiB; 1 KiB for a microcontroller), so that the board hears its lines meanwhile.',
          ),
          heldServedMax: optionalLimit(
            1,
            1024,
            'Held requests served, or released replies sent, in one call at most (32; 4 for a microcontroller).',
          ),
        },
      },
    },
  },
} as const satisfies ObjectSpec;

// ---------------------------------------------------------------------------
// Errors

export type BoardProfileErrorCode =
  /** The file holds no valid profile: bad JSON, a missing or wrong field. */
  | 'bad-profile'
  /** The file cannot be read at all (missing, a directory, no permission). */
  | 'unreadable';

/** A profile that cannot be used. The message names the file, the field and what is expected. */
export class BoardProfileError extends Error {
  readonly boardProfileError = true;
  override name = 'BoardProfileError';
  readonly code: BoardProfileErrorCode;
  /** Where the profile came from (a file name). */
  readonly source: string;
  /** The field path ('interconnect[1].baud'), or '' for the whole profile or file. */
  readonly field: string;

  constructor(
    code: BoardProfileErrorCode,
    source: string,
    field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.source = source;
    this.field = field;
  }
}

/** Tells a BoardProfileError by its marker, also across bundles. */
export function isBoardProfileError(error: unknown): error is BoardProfileError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { boardProfileError?: unknown }).boardProfileError === true
  );
}

// ---------------------------------------------------------------------------
// The validator: an interpreter of the description

/** A short, safe rendering of any value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': {
      const text = JSON.stringify(value);
      return text.length > 42 ? `${text.slice(0, 40)}..."` : text;
    }
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return 'an object';
  const constructorName = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof constructorName === 'string' && constructorName !== ''
    ? `a ${constructorName}`
    : 'an object';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
};

/** What a valid value of `spec` looks like, in words. */
export function expectedOf(spec: FieldSpec): string {
  if (spec.expected !== undefined) return spec.expected;
  switch (spec.type) {
    case 'string': {
      const { minLength, maxLength } = spec;
      if (minLength !== undefined && maxLength !== undefined) {
        return `a string of ${minLength} to ${maxLength} characters`;
      }
      if (minLength !== undefined && minLength > 0) return 'a non-empty string';
      return 'a string';
    }
    case 'integer': {
      if (spec.oneOf !== undefined) return `one of ${spec.oneOf.join(', ')}`;
      const { minimum, maximum } = spec;
      if (minimum !== undefined && maximum !== undefined) {
        return `an integer from ${minimum} to ${maximum}`;
      }
      if (minimum !== undefined) return `an integer of at least ${minimum}`;
      return 'an integer';
    }
    case 'boolean':
      return 'true or false';
    case 'literal':
      return `one of ${spec.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'array':
      return `an array of ${spec.minItems} to ${spec.maxItems} items`;
    case 'object':
      return `an object with ${Object.keys(spec.properties)
        .filter((key) => spec.properties[key]?.annotation !== true)
        .join(', ')}`;
  }
}

/** What a spec check needs besides the value: where it came from and how to report a problem. */
export interface SpecContext {
  readonly source: string;
  readonly root: Record<string, unknown>;
  /** What the whole value is, for messages: 'a board profile'. */
  readonly noun: string;
  /** The error thrown for a problem at `field`; `message` already names the source. */
  readonly error: (field: string, message: string) => Error;
}

type Context = SpecContext;

export function fail(context: Context, field: string, got: string, expected: string): never {
  const where = field === '' ? 'the profile' : `field "${field}"`;
  throw context.error(field, `${context.source}: ${where} ${got}; expected ${expected}`);
}

/** A file naming both boards of a pair names each processor once. */
export function checkProcessorsOnce(
  boards: readonly { readonly processor: number }[],
  context: Context,
): void {
  const [first, second] = boards;
  if (first !== undefined && second !== undefined && first.processor === second.processor) {
    fail(
      context,
      'boards[1].processor',
      `is ${first.processor}, like boards[0].processor`,
      'one entry for processor 1 and one for processor 2',
    );
  }
}

/** One use of something a profile may name only once: a port, a pin, a GPIO line. */
export interface SingleUse {
  /** Where a refusal points. */
  readonly field: string;
  /** How a later use names this one. */
  readonly name: string;
  readonly key: string | number;
  /** The value as a refusal shows it. */
  readonly shown: string;
}

/** Refuses the second use of a key (`thing`: what it is), naming where it was used first. */
export function checkUsedOnce(
  context: Context,
  uses: Iterable<SingleUse>,
  thing: string,
  hint: string,
): void {
  const seen = new Map<string | number, string>();
  for (const { field, name, key, shown } of uses) {
    const earlier = seen.get(key);
    if (earlier !== undefined)
      fail(context, field, `is ${shown}, the same ${thing} as ${earlier}`, hint);
    seen.set(key, name);
  }
}

const boardProfileContext = (source: string, root: Record<string, unknown>): Context => ({
  source,
  root,
  noun: 'a board profile',
  error: (field, message) => new BoardProfileError('bad-profile', source, field, message),
});

function wrong(context: Context, field: string, value: unknown, expected: string): never {
  return fail(context, field, `is ${describeValue(value)}`, expected);
}

const childPath = (parent: string, key: string): string =>
  parent === '' ? key : `${parent}.${key}`;

/** Checks `value` against `spec` and returns a fresh copy without annotations; throws on the first problem. */
export function checkSpec(
  spec: FieldSpec,
  value: unknown,
  field: string,
  context: Context,
): unknown {
  switch (spec.type) {
    case 'string': {
      if (typeof value !== 'string') return wrong(context, field, value, expectedOf(spec));
      const length = codePoints(value);
      if (
        (spec.minLength !== undefined && length < spec.minLength) ||
        (spec.maxLength !== undefined && length > spec.maxLength) ||
        (spec.pattern !== undefined && !new RegExp(spec.pattern, 'u').test(value))
      ) {
        return wrong(context, field, value, expectedOf(spec));
      }
      if (spec.patternBy !== undefined) {
        const selector = context.root[spec.patternBy.field];
        const chosen =
          typeof selector === 'string' && Object.hasOwn(spec.patternBy.cases, selector)
            ? spec.patternBy.cases[selector]
            : undefined;
        if (chosen !== undefined && !new RegExp(chosen.pattern, 'u').test(value)) {
          return wrong(context, field, value, chosen.expected);
        }
      }
      return value;
    }
    case 'integer': {
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        (spec.minimum !== undefined && value < spec.minimum) ||
        (spec.maximum !== undefined && value > spec.maximum) ||
        (spec.oneOf !== undefined && !spec.oneOf.includes(value))
      ) {
        return wrong(context, field, value, expectedOf(spec));
      }
      return value;
    }
    case 'boolean': {
      if (typeof value !== 'boolean') return wrong(context, field, value, expectedOf(spec));
      return value;
    }
    case 'literal': {
      if (
        (typeof value !== 'string' && typeof value !== 'number') ||
        !spec.values.includes(value)
      ) {
        return wrong(context, field, value, expectedOf(spec));
      }
      return value;
    }
    case 'array': {
      if (!Array.isArray(value)) return wrong(context, field, value, expectedOf(spec));
      if (value.length < spec.minItems || value.length > spec.maxItems) {
        return fail(
          context,
          field,
          `has ${value.length} ${value.length === 1 ? 'entry' : 'entries'}`,
          expectedOf(spec),
        );
      }
      // Index by index, so holes of a sparse array count as missing entries.
      const out: unknown[] = [];
      for (let index = 0; index < value.length; index += 1) {
        const itemPath = `${field}[${index}]`;
        if (!Object.hasOwn(value, index)) {
          fail(context, itemPath, 'is missing', expectedOf(spec.items));
        }
        out.push(checkSpec(spec.items, value[index], itemPath, context));
      }
      return out;
    }
    case 'object': {
      if (!isPlainObject(value)) return wrong(context, field, value, expectedOf(spec));
      const known = Object.keys(spec.properties);
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(spec.properties, key)) {
          fail(
            context,
            childPath(field, key),
            `is not a field of ${context.noun}`,
            `only ${known.join(', ')}`,
          );
        }
      }
      const out: Record<string, unknown> = {};
      for (const key of known) {
        const property = spec.properties[key] as PropertySpec;
        const path = childPath(field, key);
        if (!Object.hasOwn(value, key) || value[key] === undefined) {
          if (property.optional === true) continue;
          fail(context, path, 'is missing', expectedOf(property.spec));
        }
        const checked = checkSpec(property.spec, value[key], path, context);
        if (property.annotation !== true) out[key] = checked;
      }
      return out;
    }
  }
}

/** Ports a profile names, with their field paths, in order. */
function portsOf(profile: BoardProfile): (readonly [field: string, path: string])[] {
  return [
    ...profile.interconnect.map(
      (entry, index) => [`interconnect[${index}].path`, entry.path] as const,
    ),
    ['host.path', profile.host.path],
    ['bus.path', profile.bus.path],
  ];
}

/**
 * Checks a parsed `*.board.json` and returns the profile (without `$schema`).
 * Throws a BoardProfileError (code 'bad-profile') naming `source`, the field
 * path and what is expected, for the first problem found.
 */
export function parseBoardProfile(json: unknown, source: string): BoardProfile {
  if (!isPlainObject(json)) {
    return fail(
      boardProfileContext(source, {}),
      '',
      `is ${describeValue(json)}`,
      'a JSON object with name, kind, processor, interconnect, host, bus, lines and flash',
    );
  }
  const context = boardProfileContext(source, json);
  const profile = checkSpec(boardProfileSpec, json, '', context) as BoardProfile;

  // Two rules the schema cannot express. Every port is a different one:
  checkUsedOnce(
    context,
    [...portsOf(profile)].map(([field, path]) => ({
      field,
      name: field,
      key: path,
      shown: describeValue(path),
    })),
    'port',
    'a port of its own: the interconnect paths, host and bus are all different ports',
  );
  // and the interconnect runs at one rate (PairConfig.baud paces every path).
  const [first, ...others] = profile.interconnect;
  others.forEach((entry, index) => {
    if (first !== undefined && entry.baud !== first.baud) {
      fail(
        context,
        `interconnect[${index + 1}].baud`,
        `is ${entry.baud}, unlike interconnect[0].baud (${first.baud})`,
        'the same rate on every interconnect path (the pair paces its frames to one line rate)',
      );
    }
  });
  checkGpioLines(profile, context);
  checkStore(profile, context);
  return profile;
}

/** The store's rules that JSON Schema cannot state: whole write units in a block, a bounded region. */
function checkStore(profile: BoardProfile, context: Context): void {
  const store = profile.store;
  if (store === undefined) return;
  if (store.eraseBlockBytes % store.writeBytes !== 0) {
    fail(
      context,
      'store.writeBytes',
      `is ${store.writeBytes}, which does not divide store.eraseBlockBytes (${store.eraseBlockBytes})`,
      'a write unit that divides the erase block (e.g. 16 for 4096-byte blocks)',
    );
  }
  if (store.eraseBlockBytes * store.blockCount > MAX_BYTES) {
    fail(
      context,
      'store.blockCount',
      `is ${store.blockCount}, a region of ${store.eraseBlockBytes * store.blockCount} bytes`,
      `a region of at most ${MAX_BYTES} bytes (blockCount × eraseBlockBytes)`,
    );
  }
}

/** The rules of the GPIO lines that JSON Schema cannot state: which kind, which flag, no line twice. */
function checkGpioLines(profile: BoardProfile, context: Context): void {
  const { lines } = profile;
  for (const [field, given] of [
    ['lines.fenceGpio', lines.fenceGpio],
    ['lines.dsrGpio', lines.dsrGpio],
  ] as const) {
    if (given !== undefined && profile.kind !== 'linux') {
      fail(
        context,
        field,
        `is given for kind ${describeValue(profile.kind)}`,
        "no GPIO on a simulated board (the lab wires its lines); GPIO lines are for kind 'linux'",
      );
    }
  }
  if (profile.kind === 'linux' && lines.fenceToPartnerReset && lines.fenceGpio === undefined) {
    fail(
      context,
      'lines.fenceGpio',
      'is missing, yet lines.fenceToPartnerReset is true',
      'the GPIO that drives the fence, { "chip", "line", "activeLevel" }, or fenceToPartnerReset false',
    );
  }
  if (!lines.fenceToPartnerReset && lines.fenceGpio !== undefined) {
    fail(
      context,
      'lines.fenceGpio',
      'is given, yet lines.fenceToPartnerReset is false',
      'fenceToPartnerReset true when a fence GPIO is wired, or no fenceGpio',
    );
  }
  if (!lines.dsrFromPartner && lines.dsrGpio !== undefined) {
    fail(
      context,
      'lines.dsrGpio',
      'is given, yet lines.dsrFromPartner is false',
      'dsrFromPartner true when the DSR substitute is wired, or no dsrGpio',
    );
  }
  const used: (readonly [string, GpioLine | undefined])[] = [
    ['lines.fenceGpio', lines.fenceGpio],
    ['lines.dsrGpio.toPartner', lines.dsrGpio?.toPartner],
    ['lines.dsrGpio.fromPartner', lines.dsrGpio?.fromPartner],
  ];
  checkUsedOnce(
    context,
    used.flatMap(([field, line]) =>
      line === undefined
        ? []
        : [
            {
              field: `${field}.line`,
              name: field,
              key: `${line.chip.replace(/^\/dev\//, '')}:${line.line}`,
              shown: `${line.line} on ${line.chip}`,
            },
          ],
    ),
    'line',
    'a GPIO line of its own for the fence and each liveness wire',
  );
}

/** The two ways reading a profile file fails, as both profile errors name them. */
export type ProfileFileErrorCode = 'unreadable' | 'bad-profile';

/**
 * Reads a JSON profile file and returns its value, not yet checked (a leading
 * byte order mark is dropped). A file that cannot be read is code
 * 'unreadable', one that is not JSON 'bad-profile'; `error` makes the thrown
 * error from the code and a message naming `source` and `noun` ('board
 * profile').
 */
export async function readProfileJson(
  file: string | URL,
  source: string,
  noun: string,
  error: (code: ProfileFileErrorCode, message: string, cause: unknown) => Error,
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const reason =
      (cause as { code?: unknown }).code === 'ENOENT'
        ? 'not found'
        : cause instanceof Error
          ? cause.message
          : String(cause);
    throw error('unreadable', `${source}: cannot read the ${noun} (${reason})`, cause);
  }
  try {
    return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (cause) {
    throw error(
      'bad-profile',
      `${source}: not valid JSON (${cause instanceof Error ? cause.message : String(cause)}); expected a ${noun} object`,
      cause,
    );
  }
}

/** Reads and checks a `*.board.json` file; `file` is used as given (relative to the working directory). */
export async function loadBoardProfile(file: string): Promise<BoardProfile> {
  const json = await readProfileJson(
    file,
    file,
    'board profile',
    (code, message, cause) => new BoardProfileError(code, file, '', message, { cause }),
  );
  return parseBoardProfile(json, file);
}
