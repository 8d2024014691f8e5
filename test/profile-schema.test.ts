/**
 * The JSON Schema of a board profile: the committed file is the generated
 * one, and the schema and the parser agree on what a valid profile is (the
 * parser adds one rule the schema cannot state: no port named twice).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { isBoardProfileError, parseBoardProfile } from '../boards/profile.ts';
import { BOARD_PROFILE_SCHEMA_FILE, boardProfileSchema } from '../boards/profile-schema.ts';

const PROFILES = 'boards/profiles';
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const committed = readdirSync(PROFILES)
  .filter((name) => name.endsWith('.board.json'))
  .sort()
  .map((name) => readJson(join(PROFILES, name)) as Record<string, unknown>);

test('the committed schema is the generated one (run: npx tsx boards/write-profile-schema.ts)', (t) => {
  t.deepEqual(readJson(join(PROFILES, BOARD_PROFILE_SCHEMA_FILE)), boardProfileSchema());
});

test('the schema is draft 2020-12 and closed to unknown fields', (t) => {
  const schema = boardProfileSchema();
  t.is(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.is(schema.additionalProperties, false);
  t.deepEqual(schema.required, [
    'name',
    'kind',
    'processor',
    'interconnect',
    'host',
    'bus',
    'lines',
    'flash',
  ]);
});

// ---------------------------------------------------------------------------
// A small evaluator for the subset of JSON Schema the generator emits. It
// refuses keywords it does not know, so a new keyword cannot pass unchecked.

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', 'title', 'description']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  'type',
  'enum',
  'const',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'allOf',
  'if',
  'then',
]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function typeMatches(type: unknown, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    default:
      throw new Error(`evaluator: unknown type ${String(type)}`);
  }
}

function valid(schema: Schema, value: unknown): boolean {
  for (const key of Object.keys(schema)) {
    if (!KNOWN.has(key)) throw new Error(`evaluator: unknown keyword ${key}`);
  }
  if ('type' in schema && !typeMatches(schema.type, value)) return false;
  if ('enum' in schema && !(schema.enum as unknown[]).includes(value)) return false;
  if ('const' in schema && schema.const !== value) return false;
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength) return false;
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) return false;
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      return false;
    }
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return false;
    if (typeof schema.maximum === 'number' && value > schema.maximum) return false;
  }
  if (isObject(value)) {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) {
      if (!Object.hasOwn(value, key)) return false;
    }
    for (const [key, item] of Object.entries(value)) {
      const sub = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (sub === undefined) {
        if (schema.additionalProperties === false) return false;
      } else if (!valid(sub, item)) {
        return false;
      }
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) return false;
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return false;
    if (isObject(schema.items) && !value.every((item) => valid(schema.items as Schema, item))) {
      return false;
    }
  }
  if (
    Array.isArray(schema.allOf) &&
    !(schema.allOf as Schema[]).every((sub) => valid(sub, value))
  ) {
    return false;
  }
  if (isObject(schema.if) && valid(schema.if, value) && isObject(schema.then)) {
    if (!valid(schema.then, value)) return false;
  }
  return true;
}

const schema = boardProfileSchema();

/** The parser's verdict: 'ok', 'parser-only' (a rule the schema cannot state), or 'refused'. */
function verdict(json: unknown): 'ok' | 'parser-only' | 'refused' {
  try {
    parseBoardProfile(json, 'fuzz.board.json');
    return 'ok';
  } catch (error) {
    if (!isBoardProfileError(error)) throw error;
    return /expected (a port of its own|the same rate on every interconnect path|the GPIO that drives the fence|fenceToPartnerReset true|dsrFromPartner true|no GPIO on a simulated board|a GPIO line of its own|a write unit that divides the erase block|a region of at most)/.test(
      error.message,
    )
      ? 'parser-only'
      : 'refused';
  }
}

test('the schema accepts every committed profile', (t) => {
  t.true(committed.length >= 4);
  for (const profile of committed) t.true(valid(schema, profile), String(profile.name));
});

test('the schema refuses what the parser refuses, by example', (t) => {
  const [sim] = committed.filter((profile) => profile.kind === 'sim');
  const [linux] = committed.filter((profile) => profile.kind === 'linux');
  if (sim === undefined || linux === undefined) return t.fail('a sim and a linux profile');
  const broken: unknown[] = [
    { ...sim, name: undefined },
    { ...sim, processor: 3 },
    { ...sim, kind: 'rtos' },
    { ...sim, host: { path: 'p1-host', baud: 115201 } },
    { ...sim, host: { path: '/dev/ttyGS0', baud: 115200 } },
    { ...linux, bus: { path: 'p1-bus', baud: 115200 } },
    { ...sim, interconnect: [...(sim.interconnect as unknown[]), { path: 'x', baud: 9600 }] },
    { ...sim, lines: { dsrFromPartner: true } },
    { ...sim, extra: 1 },
    { ...sim, timing: { heartbeatIntervalMs: 0 } },
    { ...sim, store: { eraseBlockBytes: 4096, writeBytes: 16, blockCount: 1, enduranceCycles: 1 } },
    { ...sim, store: { eraseBlockBytes: 4096, writeBytes: 0, blockCount: 8, enduranceCycles: 1 } },
    { ...sim, store: { eraseBlockBytes: 4096, writeBytes: 16, blockCount: 8 } },
  ].map((json) => JSON.parse(JSON.stringify(json)));
  for (const json of broken) {
    t.is(verdict(json), 'refused', JSON.stringify(json));
    t.false(valid(schema, json), JSON.stringify(json));
  }
});

// ---------------------------------------------------------------------------
// Agreement on random near-valid profiles

const interesting: readonly unknown[] = [
  0,
  1,
  2,
  3,
  -1,
  1.5,
  4800,
  9600,
  115200,
  115201,
  921600,
  4000000,
  2 ** 32,
  2 ** 32 + 1,
  '',
  'sim',
  'linux',
  'rtos',
  'p1-path0',
  'p1-host',
  '/dev/ttyAMA1',
  '/dev/ttyAMA3',
  '/dev/tty AMA1',
  '/dev/',
  'a'.repeat(64),
  'a'.repeat(65),
  '\u{1F600}'.repeat(64),
  true,
  false,
  null,
  [],
  {},
  { path: 'p1-path0', baud: 115200 },
  { path: '/dev/ttyAMA2', baud: 921600 },
  { path: 'p9-x', baud: 9600, extra: true },
  [{ path: 'p1-path0', baud: 115200 }],
  [
    { path: 'a', baud: 9600 },
    { path: 'b', baud: 9600 },
    { path: 'c', baud: 9600 },
  ],
  { heartbeatIntervalMs: 20 },
  { heartbeatIntervalMs: 20, suspectMissCount: 0 },
];

/** Every path into a JSON value, including one step past each object (a key to add). */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(value)) {
    return [
      ...here,
      [...prefix, value.length],
      ...value.flatMap((item, index) => pathsOf(item, [...prefix, index])),
    ];
  }
  if (isObject(value)) {
    return [
      ...here,
      [...prefix, 'extra'],
      ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key])),
    ];
  }
  return here;
}

type Mutation = {
  readonly path: (string | number)[];
  readonly value: unknown;
  readonly drop: boolean;
};

function mutate(json: unknown, { path, value, drop }: Mutation): unknown {
  if (path.length === 0) return drop ? undefined : value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(json)) {
    const copy = [...json];
    const index = head as number;
    if (drop && rest.length === 0) copy.splice(index, 1);
    else copy[index] = mutate(copy[index], { path: rest, value, drop });
    return copy;
  }
  if (isObject(json)) {
    const copy: Record<string, unknown> = { ...json };
    if (drop && rest.length === 0) delete copy[head as string];
    else copy[head as string] = mutate(copy[head as string], { path: rest, value, drop });
    return copy;
  }
  return json;
}

const nearValid = fc
  .constantFrom(...committed)
  .chain((profile) =>
    fc
      .array(
        fc.record({
          path: fc.constantFrom(...pathsOf(profile)),
          value: fc.oneof(fc.constantFrom(...interesting), fc.jsonValue({ maxDepth: 2 })),
          drop: fc.boolean(),
        }),
        { minLength: 0, maxLength: 3 },
      )
      .map((mutations) => mutations.reduce<unknown>(mutate, profile)),
  )
  // As a file would hold it: through JSON, so no undefined and no holes.
  .map((json) => (json === undefined ? null : JSON.parse(JSON.stringify(json))));

test('the parser and the schema agree on random near-valid profiles', (t) => {
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(nearValid, (json) => {
      const parser = verdict(json);
      const bySchema = valid(schema, json);
      if (parser === 'parser-only') return bySchema;
      if (parser === 'ok') accepted += 1;
      else refused += 1;
      return bySchema === (parser === 'ok');
    }),
    { numRuns: 3000 },
  );
  // Both outcomes must be common, or the agreement says little.
  t.true(accepted > 100, `accepted ${accepted}`);
  t.true(refused > 100, `refused ${refused}`);
});
