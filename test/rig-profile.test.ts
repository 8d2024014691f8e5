/**
 * Rig profiles: the committed ones parse, the committed schema is the
 * generated one, and bad profiles are refused with a message that names the
 * field and what is expected.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import {
  boardNameOf,
  loadRigProfile,
  parseRigProfile,
  RIG_PROFILE_SCHEMA_FILE,
  RigProfileError,
  rigProfileSchema,
} from '../boards/rig-profile.ts';
import { LAB_RIG_PROFILE_FILE } from '../host/lab/relay-controller.ts';

const DIR = 'hil/profiles';
const good = () => ({
  name: 'bench',
  kind: 'firmata',
  boards: [
    { processor: 1, power: { pin: 7, contact: 'normally-closed' } },
    { processor: 2, power: { pin: 8, contact: 'normally-open' } },
  ],
});

test('the committed schema is the generated one (run: npx tsx hil/write-rig-profile-schema.ts)', (t) => {
  t.deepEqual(
    JSON.parse(readFileSync(join(DIR, RIG_PROFILE_SCHEMA_FILE), 'utf8')),
    rigProfileSchema(),
  );
});

test("the committed profiles parse, the lab's own wiring among them", async (t) => {
  const files = readdirSync(DIR)
    .filter((name) => name.endsWith('.rig.json'))
    .map((name) => join(DIR, name));
  t.true(files.length >= 2);
  for (const file of [...files, LAB_RIG_PROFILE_FILE]) {
    const profile = await loadRigProfile(file);
    t.is(profile.boards.length, 2);
  }
  t.is((await loadRigProfile(LAB_RIG_PROFILE_FILE)).kind, 'sim');
});

const refused = (
  t: import('ava').ExecutionContext,
  json: unknown,
  field: string,
  pattern: RegExp,
) => {
  const error = t.throws(() => parseRigProfile(json, 'bad.rig.json'), {
    instanceOf: RigProfileError,
  });
  t.is(error?.field, field);
  t.regex(error?.message ?? '', pattern);
  t.regex(error?.message ?? '', /^bad\.rig\.json: /);
};

test('bad profiles are refused, naming the field', (t) => {
  refused(t, 'nope', '', /expected an object/);
  refused(t, { ...good(), kind: 'arduino' }, 'kind', /"sim", "firmata"/);
  refused(
    t,
    { ...good(), boards: [good().boards[0]] },
    'boards',
    /processor 1 and one for processor 2/,
  );
  const pin1 = good();
  (pin1.boards[0] as { power: { pin: number } }).power.pin = 1;
  refused(t, pin1, 'boards[0].power.pin', /from 2 to 127/);
  const contact = good();
  (contact.boards[1] as { power: { contact: string } }).power.contact = 'NC';
  refused(t, contact, 'boards[1].power.contact', /normally-open/);
  refused(t, { ...good(), extra: 1 }, 'extra', /not a field of a rig profile/);
  const twice = good();
  (twice.boards[1] as { processor: number }).processor = 1;
  refused(t, twice, 'boards[1].processor', /one entry for processor 1 and one for processor 2/);
  const samePin = good();
  (samePin.boards[1] as { power: { pin: number } }).power.pin = 7;
  refused(t, samePin, 'boards[1].power.pin', /same pin as boards\[0\]\.power\.pin/);
});

test('an unreadable or non-JSON file says so', async (t) => {
  const missing = await t.throwsAsync(loadRigProfile('hil/profiles/none.rig.json'), {
    instanceOf: RigProfileError,
  });
  t.is(missing?.code, 'unreadable');
  const notJson = await t.throwsAsync(loadRigProfile('README.md'), { instanceOf: RigProfileError });
  t.regex(notJson?.message ?? '', /not valid JSON/);
});

const commandRig = () => ({
  name: 'pdu',
  kind: 'command',
  commands: { on: 'pdu on {board}', off: 'pdu off {board}' },
  boards: [
    { processor: 1, name: 'port3' },
    { processor: 2, name: 'port4' },
  ],
});

test('a command rig parses; its boards are named for {board}, by default by number', (t) => {
  const profile = parseRigProfile(commandRig(), 'pdu.rig.json');
  t.is(boardNameOf(profile, 2), 'port4');
  const unnamed = parseRigProfile(
    { ...commandRig(), boards: [{ processor: 1 }, { processor: 2 }] },
    'pdu.rig.json',
  );
  t.is(boardNameOf(unnamed, 1), '1');
});

test('command rigs and relay rigs are refused with the other kind’s fields', (t) => {
  refused(
    t,
    { ...commandRig(), commands: undefined },
    'commands',
    /is missing; expected the power commands/,
  );
  refused(
    t,
    { ...commandRig(), commands: { on: 'pdu on 3', off: 'pdu off {board}' } },
    'commands.on',
    /does not name the board; expected a command with \{board\}/,
  );
  refused(
    t,
    { ...commandRig(), boards: good().boards },
    'boards[0].power',
    /is a relay, but kind 'command' switches power with commands/,
  );
  refused(
    t,
    { ...good(), commands: commandRig().commands },
    'commands',
    /only with kind 'command'/,
  );
  refused(
    t,
    { ...good(), boards: [{ processor: 1 }, good().boards[1]] },
    'boards[0].power',
    /is missing; expected the board's power relay/,
  );
  const quoted = commandRig();
  (quoted.boards[0] as { name: string }).name = 'port 3; reboot';
  refused(t, quoted, 'boards[0].name', /it goes into a shell command unquoted/);
});
