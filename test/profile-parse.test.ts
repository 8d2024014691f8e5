/** Board profiles: the committed ones parse; broken ones are refused naming the file and the field. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import test from 'ava';
import { MICROCONTROLLER_LIMITS } from '../boards/microcontroller-limits.ts';
import {
  type BoardProfile,
  BoardProfileError,
  isBoardProfileError,
  loadBoardProfile,
  parseBoardProfile,
} from '../boards/profile.ts';
import { profilePairConfig } from '../boards/profile-pair-config.ts';

const PROFILES = 'boards/profiles';
const committed = readdirSync(PROFILES)
  .filter((name) => name.endsWith('.board.json'))
  .sort();

const rawOf = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(PROFILES, name), 'utf8')) as Record<string, unknown>;

test('the four expected profiles are committed', (t) => {
  for (const name of [
    'linux-rpi-p1.board.json',
    'linux-rpi-p2.board.json',
    'sim-p1.board.json',
    'sim-p2.board.json',
  ]) {
    t.true(committed.includes(name), name);
  }
});

for (const name of committed) {
  test(`${name} parses, names itself and points at the schema`, async (t) => {
    const file = join(PROFILES, name);
    const profile = await loadBoardProfile(file);
    t.is(profile.name, basename(name, '.board.json'));
    t.true(profile.name.endsWith(`-p${profile.processor}`), 'the file name ends in its processor');
    t.false('$schema' in profile, 'the parser drops $schema');
    const schema = rawOf(name).$schema;
    t.is(typeof schema, 'string');
    t.true(existsSync(resolve(dirname(file), schema as string)), `${schema} exists`);
  });
}

test('sim-p1 is exactly the simulated processor 1', async (t) => {
  const expected: BoardProfile = {
    name: 'sim-p1',
    kind: 'sim',
    processor: 1,
    interconnect: [
      { path: 'p1-path0', baud: 115200 },
      { path: 'p1-path1', baud: 115200 },
    ],
    host: { path: 'p1-host', baud: 115200 },
    bus: { path: 'p1-bus', baud: 115200 },
    lines: { dsrFromPartner: true, fenceToPartnerReset: true },
    flash: { slotBytes: 1024 * 1024, nvmBytes: 4096 },
    store: { eraseBlockBytes: 65_536, writeBytes: 16, blockCount: 16, enduranceCycles: 100_000 },
  };
  t.deepEqual(await loadBoardProfile(join(PROFILES, 'sim-p1.board.json')), expected);
});

test('linux-rpi-p2 uses the Pi UARTs, USB gadget serial for the host, and both lines', async (t) => {
  const profile = await loadBoardProfile(join(PROFILES, 'linux-rpi-p2.board.json'));
  t.is(profile.kind, 'linux');
  t.is(profile.processor, 2);
  t.deepEqual(profile.interconnect, [
    { path: '/dev/ttyAMA1', baud: 921600 },
    { path: '/dev/ttyAMA2', baud: 921600 },
  ]);
  t.deepEqual(profile.host, { path: '/dev/ttyGS0', baud: 115200 });
  t.deepEqual(profile.bus, { path: '/dev/ttyAMA3', baud: 115200 });
  t.deepEqual(profile.lines, {
    dsrFromPartner: true,
    fenceToPartnerReset: true,
    fenceGpio: { chip: 'gpiochip0', line: 17, activeLevel: 'high', pulseMs: 100 },
  });
});

test('the two boards of each pair agree on everything but their processor and names', (t) => {
  for (const family of ['sim', 'linux-rpi']) {
    const one = parseBoardProfile(rawOf(`${family}-p1.board.json`), family);
    const two = parseBoardProfile(rawOf(`${family}-p2.board.json`), family);
    t.deepEqual([one.processor, two.processor], [1, 2]);
    t.is(one.kind, two.kind);
    t.deepEqual(
      one.interconnect.map((path) => path.baud),
      two.interconnect.map((path) => path.baud),
    );
    t.deepEqual(one.lines, two.lines);
    t.deepEqual(one.timing, two.timing);
  }
});

// ---------------------------------------------------------------------------
// Refusals

const SOURCE = 'boards/profiles/broken.board.json';

/** A valid profile to break, as raw JSON (a fresh copy each time). */
const base = (name = 'sim-p1.board.json'): Record<string, unknown> => rawOf(name);

type Json = Record<string, unknown>;
const at = (json: Json, key: string): Json => json[key] as Json;

interface Variant {
  readonly title: string;
  readonly build: () => unknown;
  /** The field path the error must name ('' for the profile as a whole). */
  readonly field: string;
  /** Further words the message must hold (what is wrong, what is expected). */
  readonly says: RegExp;
}

const variants: readonly Variant[] = [
  {
    title: 'missing name',
    build: () => {
      const json = base();
      delete json.name;
      return json;
    },
    field: 'name',
    says: /is missing; expected a string/,
  },
  {
    title: 'missing host.baud',
    build: () => {
      const json = base();
      delete at(json, 'host').baud;
      return json;
    },
    field: 'host.baud',
    says: /is missing; expected a standard baud rate/,
  },
  {
    title: 'missing lines',
    build: () => {
      const json = base();
      delete json.lines;
      return json;
    },
    field: 'lines',
    says: /is missing; expected an object with dsrFromPartner, fenceToPartnerReset/,
  },
  {
    title: 'missing lines.fenceToPartnerReset',
    build: () => {
      const json = base();
      delete at(json, 'lines').fenceToPartnerReset;
      return json;
    },
    field: 'lines.fenceToPartnerReset',
    says: /is missing; expected true or false/,
  },
  {
    title: 'missing interconnect[0].path',
    build: () => {
      const json = base();
      delete (json.interconnect as Json[])[0]?.path;
      return json;
    },
    field: 'interconnect[0].path',
    says: /is missing/,
  },
  {
    title: 'name of the wrong type',
    build: () => ({ ...base(), name: 42 }),
    field: 'name',
    says: /is 42; expected a string/,
  },
  {
    title: 'processor as a string',
    build: () => ({ ...base(), processor: '1' }),
    field: 'processor',
    says: /is "1"; expected one of 1, 2/,
  },
  {
    title: 'lines.dsrFromPartner as a word',
    build: () => {
      const json = base();
      at(json, 'lines').dsrFromPartner = 'yes';
      return json;
    },
    field: 'lines.dsrFromPartner',
    says: /is "yes"; expected true or false/,
  },
  {
    title: 'host as a string',
    build: () => ({ ...base(), host: '/dev/ttyGS0' }),
    field: 'host',
    says: /expected an object with path, baud/,
  },
  {
    title: 'interconnect as an object',
    build: () => ({ ...base(), interconnect: { path: 'p1-path0', baud: 115200 } }),
    field: 'interconnect',
    says: /is an object; expected 1 or 2 interconnect paths/,
  },
  {
    title: 'fractional slotBytes',
    build: () => {
      const json = base();
      at(json, 'flash').slotBytes = 1.5;
      return json;
    },
    field: 'flash.slotBytes',
    says: /is 1\.5; expected an integer from 1 to/,
  },
  {
    title: 'no NVM',
    build: () => {
      const json = base();
      at(json, 'flash').nvmBytes = 0;
      return json;
    },
    field: 'flash.nvmBytes',
    says: /is 0; expected an integer from 1/,
  },
  {
    title: 'a baud rate that is not standard',
    build: () => {
      const json = base();
      at(json, 'host').baud = 115201;
      return json;
    },
    field: 'host.baud',
    says: /is 115201; expected a standard baud rate \(9600, .*4000000\)/,
  },
  {
    title: 'a baud rate below 9600',
    build: () => {
      const json = base();
      ((json.interconnect as Json[])[1] as Json).baud = 4800;
      return json;
    },
    field: 'interconnect[1].baud',
    says: /is 4800; expected a standard baud rate/,
  },
  {
    title: 'a baud rate as a string',
    build: () => {
      const json = base();
      at(json, 'bus').baud = '115200';
      return json;
    },
    field: 'bus.baud',
    says: /is "115200"; expected a standard baud rate/,
  },
  {
    title: 'three interconnect paths',
    build: () => {
      const json = base();
      json.interconnect = [
        { path: 'p1-path0', baud: 115200 },
        { path: 'p1-path1', baud: 115200 },
        { path: 'p1-path2', baud: 115200 },
      ];
      return json;
    },
    field: 'interconnect',
    says: /has 3 entries; expected 1 or 2 interconnect paths/,
  },
  {
    title: 'no interconnect path',
    build: () => ({ ...base(), interconnect: [] }),
    field: 'interconnect',
    says: /has 0 entries; expected 1 or 2 interconnect paths/,
  },
  {
    title: 'processor 3',
    build: () => ({ ...base(), processor: 3 }),
    field: 'processor',
    says: /is 3; expected one of 1, 2/,
  },
  {
    title: 'processor 0',
    build: () => ({ ...base(), processor: 0 }),
    field: 'processor',
    says: /is 0; expected one of 1, 2/,
  },
  {
    title: 'an unknown kind',
    build: () => ({ ...base(), kind: 'rtos' }),
    field: 'kind',
    says: /is "rtos"; expected one of "sim", "linux"/,
  },
  {
    title: 'a misspelt field',
    build: () => ({ ...base(), procesor: 1 }),
    field: 'procesor',
    says: /is not a field of a board profile; expected only \$schema, name, kind/,
  },
  {
    title: 'an unknown nested field',
    build: () => {
      const json = base();
      at(json, 'lines').dsr = true;
      return json;
    },
    field: 'lines.dsr',
    says: /is not a field of a board profile; expected only dsrFromPartner, fenceToPartnerReset/,
  },
  {
    title: 'a Linux fence without its GPIO',
    build: () => {
      const json = base('linux-rpi-p1.board.json');
      delete at(json, 'lines').fenceGpio;
      return json;
    },
    field: 'lines.fenceGpio',
    says: /is missing, yet lines.fenceToPartnerReset is true; expected the GPIO that drives the fence/,
  },
  {
    title: 'a fence GPIO with the fence off',
    build: () => {
      const json = base('linux-rpi-p1.board.json');
      at(json, 'lines').fenceToPartnerReset = false;
      return json;
    },
    field: 'lines.fenceGpio',
    says: /is given, yet lines.fenceToPartnerReset is false/,
  },
  {
    title: 'a GPIO line on a simulated board',
    build: () => {
      const json = base();
      at(json, 'lines').fenceGpio = { chip: 'gpiochip0', line: 17, activeLevel: 'high' };
      return json;
    },
    field: 'lines.fenceGpio',
    says: /is given for kind "sim"; expected no GPIO on a simulated board/,
  },
  {
    title: 'a DSR substitute with DSR off',
    build: () => {
      const json = base('linux-rpi-p1.board.json');
      at(json, 'lines').dsrFromPartner = false;
      at(json, 'lines').dsrGpio = {
        toPartner: { chip: 'gpiochip0', line: 22, activeLevel: 'high' },
        fromPartner: { chip: 'gpiochip0', line: 23, activeLevel: 'high' },
      };
      return json;
    },
    field: 'lines.dsrGpio',
    says: /is given, yet lines.dsrFromPartner is false/,
  },
  {
    title: 'one GPIO line for the fence and the liveness',
    build: () => {
      const json = base('linux-rpi-p1.board.json');
      at(json, 'lines').dsrGpio = {
        toPartner: { chip: '/dev/gpiochip0', line: 17, activeLevel: 'high' },
        fromPartner: { chip: 'gpiochip0', line: 23, activeLevel: 'high' },
      };
      return json;
    },
    field: 'lines.dsrGpio.toPartner.line',
    says: /is 17 on \/dev\/gpiochip0, the same line as lines.fenceGpio/,
  },
  {
    title: 'a GPIO chip by a name that is not a chip',
    build: () => {
      const json = base('linux-rpi-p1.board.json');
      (at(json, 'lines').fenceGpio as Json).chip = 'gpio17';
      return json;
    },
    field: 'lines.fenceGpio.chip',
    says: /is "gpio17"; expected a GPIO chip such as 'gpiochip0'/,
  },
  {
    title: 'an active level as a number',
    build: () => {
      const json = base('linux-rpi-p1.board.json');
      (at(json, 'lines').fenceGpio as Json).activeLevel = 1;
      return json;
    },
    field: 'lines.fenceGpio.activeLevel',
    says: /is 1; expected one of "high", "low"/,
  },
  {
    title: 'a heartbeat of 0 ms',
    build: () => ({ ...base(), timing: { heartbeatIntervalMs: 0 } }),
    field: 'timing.heartbeatIntervalMs',
    says: /is 0; expected an integer from 1 to 10000/,
  },
  {
    title: 'a suspect count as a string',
    build: () => ({ ...base(), timing: { suspectMissCount: '3' } }),
    field: 'timing.suspectMissCount',
    says: /is "3"; expected an integer/,
  },
  {
    title: 'a board class the pair does not know',
    build: () => ({ ...base(), limits: { class: 'esp32' } }),
    field: 'limits.class',
    says: /is "esp32"; expected one of "microcontroller", "linux"/,
  },
  {
    title: 'a snapshot chunk larger than a frame takes',
    build: () => ({ ...base(), limits: { snapshotChunkBytes: 4096 } }),
    field: 'limits.snapshotChunkBytes',
    says: /is 4096; expected an integer from 64 to 2048/,
  },
  {
    title: 'a reply cache of no clients',
    build: () => ({ ...base(), limits: { clientsMax: 0 } }),
    field: 'limits.clientsMax',
    says: /is 0; expected an integer from 1 to 65536/,
  },
  {
    title: 'timing as null',
    build: () => ({ ...base(), timing: null }),
    field: 'timing',
    says: /is null; expected an object with heartbeatIntervalMs, suspectMissCount/,
  },
  {
    title: 'an empty name',
    build: () => ({ ...base(), name: '' }),
    field: 'name',
    says: /is ""; expected a string of 1 to 64 characters/,
  },
  {
    title: 'a simulator endpoint on a Linux board',
    build: () => {
      const json = base('linux-rpi-p1.board.json');
      ((json.interconnect as Json[])[0] as Json).path = 'p1-path0';
      return json;
    },
    field: 'interconnect[0].path',
    says: /is "p1-path0"; expected a device path under \/dev/,
  },
  {
    title: 'a device path on a simulated board',
    build: () => {
      const json = base();
      at(json, 'host').path = '/dev/ttyGS0';
      return json;
    },
    field: 'host.path',
    says: /is "\/dev\/ttyGS0"; expected a simulator endpoint name/,
  },
  {
    title: 'the bus on an interconnect port',
    build: () => {
      const json = base('linux-rpi-p1.board.json');
      at(json, 'bus').path = '/dev/ttyAMA2';
      return json;
    },
    field: 'bus.path',
    says: /the same port as interconnect\[1\]\.path; expected a port of its own/,
  },
  {
    title: 'both interconnect paths on one port',
    build: () => {
      const json = base();
      ((json.interconnect as Json[])[1] as Json).path = 'p1-path0';
      return json;
    },
    field: 'interconnect[1].path',
    says: /the same port as interconnect\[0\]\.path/,
  },
  {
    title: 'interconnect paths at two rates',
    build: () => {
      const json = base();
      ((json.interconnect as Json[])[1] as Json).baud = 230400;
      return json;
    },
    field: 'interconnect[1].baud',
    says: /is 230400, unlike interconnect\[0\]\.baud \(115200\); expected the same rate/,
  },
  {
    title: 'a store whose write unit does not divide its erase block',
    build: () => ({
      ...base(),
      store: { eraseBlockBytes: 4096, writeBytes: 24, blockCount: 8, enduranceCycles: 100_000 },
    }),
    field: 'store.writeBytes',
    says: /is 24, which does not divide store\.eraseBlockBytes \(4096\); expected a write unit/,
  },
  {
    title: 'a store of one erase block',
    build: () => ({
      ...base(),
      store: { eraseBlockBytes: 4096, writeBytes: 16, blockCount: 1, enduranceCycles: 100_000 },
    }),
    field: 'store.blockCount',
    says: /is 1; expected an integer from 2 to 65536/,
  },
  {
    title: 'a store over 4 GiB',
    build: () => ({
      ...base(),
      store: {
        eraseBlockBytes: 16 * 1024 * 1024,
        writeBytes: 16,
        blockCount: 65_536,
        enduranceCycles: 100_000,
      },
    }),
    field: 'store.blockCount',
    says: /expected a region of at most 4294967296 bytes/,
  },
  {
    title: '$schema that is not a string',
    build: () => ({ ...base(), $schema: 5 }),
    field: '$schema',
    says: /is 5; expected a non-empty string/,
  },
  {
    title: 'an array instead of a profile',
    build: () => [base()],
    field: '',
    says: /the profile is an array of 1; expected a JSON object/,
  },
  {
    title: 'null instead of a profile',
    build: () => null,
    field: '',
    says: /the profile is null; expected a JSON object/,
  },
];

for (const variant of variants) {
  test(`refuses ${variant.title}, naming ${variant.field || 'the profile'}`, (t) => {
    const error = t.throws(() => parseBoardProfile(variant.build(), SOURCE), {
      instanceOf: BoardProfileError,
    });
    t.is(error.code, 'bad-profile');
    t.is(error.field, variant.field);
    t.is(error.source, SOURCE);
    t.true(isBoardProfileError(error));
    t.true(error.message.startsWith(`${SOURCE}: `), error.message);
    if (variant.field !== '') t.true(error.message.includes(`"${variant.field}"`), error.message);
    t.regex(error.message, /expected/);
    t.regex(error.message, variant.says);
  });
}

// ---------------------------------------------------------------------------
// Accepted variations

test('one interconnect path, timing overrides and no $schema are fine', (t) => {
  const json = base();
  delete json.$schema;
  json.interconnect = [{ path: 'p1-path0', baud: 4000000 }];
  json.timing = { heartbeatIntervalMs: 20, suspectMissCount: 5 };
  const profile = parseBoardProfile(json, SOURCE);
  t.deepEqual(profile.interconnect, [{ path: 'p1-path0', baud: 4000000 }]);
  t.deepEqual(profile.timing, { heartbeatIntervalMs: 20, suspectMissCount: 5 });
});

test("limits give the pair their class's defaults, then the profile's own", (t) => {
  const microcontroller = parseBoardProfile(
    { ...base(), limits: { class: 'microcontroller', clientsMax: 64, heldServedMax: 2 } },
    SOURCE,
  );
  t.deepEqual(profilePairConfig(microcontroller), {
    baud: 115200,
    busBaud: 115200,
    dsrWired: true,
    busShared: false,
    ...MICROCONTROLLER_LIMITS,
    clientsMax: 64,
    heldServedMax: 2,
  });
  // No limits, or the Linux class: the pair's defaults, which the config does not repeat.
  const plain = { baud: 115200, busBaud: 115200, dsrWired: true, busShared: false };
  t.deepEqual(profilePairConfig(parseBoardProfile(base(), SOURCE)), plain);
  t.deepEqual(
    profilePairConfig(parseBoardProfile({ ...base(), limits: { class: 'linux' } }, SOURCE)),
    plain,
  );
});

test('an empty timing block stays empty, and an absent one stays absent', (t) => {
  t.deepEqual(parseBoardProfile({ ...base(), timing: {} }, SOURCE).timing, {});
  t.false('timing' in parseBoardProfile(base(), SOURCE));
});

test('the result is a copy: changing the input afterwards does not change it', (t) => {
  const json = base();
  const profile = parseBoardProfile(json, SOURCE);
  at(json, 'host').path = 'elsewhere';
  t.is(profile.host.path, 'p1-host');
});

test('a name counts code points, as JSON Schema does', (t) => {
  const wide = '\u{1F600}'.repeat(64); // 128 UTF-16 units, 64 code points
  t.is(parseBoardProfile({ ...base(), name: wide }, SOURCE).name, wide);
  t.throws(() => parseBoardProfile({ ...base(), name: `${wide}x` }, SOURCE), {
    message: /field "name"/,
  });
});

test('by-id device paths are device paths', (t) => {
  const json = base('linux-rpi-p1.board.json');
  at(json, 'host').path = '/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0';
  t.regex(parseBoardProfile(json, SOURCE).host.path, /^\/dev\/serial\/by-id\//);
});

// ---------------------------------------------------------------------------
// Files

test('loadBoardProfile: a missing file is unreadable, naming the file', async (t) => {
  const file = 'boards/profiles/no-such.board.json';
  const error = await t.throwsAsync(loadBoardProfile(file), { instanceOf: BoardProfileError });
  t.is(error.code, 'unreadable');
  t.is(error.source, file);
  t.regex(error.message, /^boards\/profiles\/no-such\.board\.json: cannot read .*not found/);
});

test('loadBoardProfile: bad JSON and bad fields are bad profiles; a BOM is fine', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-profile-'));
  try {
    const broken = join(dir, 'broken.board.json');
    await writeFile(broken, '{ "name": "x", ');
    const syntax = await t.throwsAsync(loadBoardProfile(broken), { instanceOf: BoardProfileError });
    t.is(syntax.code, 'bad-profile');
    t.true(syntax.message.startsWith(`${broken}: not valid JSON`), syntax.message);

    const wrong = join(dir, 'wrong.board.json');
    await writeFile(wrong, JSON.stringify({ ...base(), processor: 3 }));
    const field = await t.throwsAsync(loadBoardProfile(wrong), { instanceOf: BoardProfileError });
    t.is(field.code, 'bad-profile');
    t.is(field.message, `${wrong}: field "processor" is 3; expected one of 1, 2`);

    const bom = join(dir, 'bom.board.json');
    await writeFile(bom, `\uFEFF${JSON.stringify(base())}`);
    t.is((await loadBoardProfile(bom)).name, 'sim-p1');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
