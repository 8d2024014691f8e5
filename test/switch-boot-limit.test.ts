/**
 * How long a switch waits at step d for the new version to boot and ask to
 * join: `switchBootTimeoutMs` (3 s), or SWITCH_BOOT_SCALE times the
 * partner's last boot (from its reset to asking to join, as its hello
 * reports it) where that is longer (an XS
 * board loading its image and reading its store back on a loaded machine
 * took over 3 s), and never over SWITCH_BOOT_LIMIT_MAX_MS (a partner that
 * is dead, or reports nonsense, fails the switch at d within that).
 * Two cores back to back in virtual time; the test plays the boot ROM, with
 * each boot taking as long as the case says.
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { pairConfig } from '../firmware/runtime/config.ts';
import {
  SWITCH_BOOT_LIMIT_MAX_MS,
  SWITCH_BOOT_SCALE,
} from '../firmware/runtime/switch-procedure.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { CorePair } from './helpers/core-pair.ts';

const FROM = bulkApp(2_000);
const TO: AnyApp = { ...FROM, version: '2.0.0' };
const DEFAULT_LIMIT_MS = pairConfig(1).switchBootTimeoutMs;

type SwitchEvent = Extract<CorePair['events'][number]['event'], { kind: 'switch' }>;

/**
 * A pair on FROM whose boards each reset `firstBootMs` before their cores
 * ran (as their boards tell), or do not tell when null. Board 1's boot into the new version takes `switchBootMs` (never,
 * when null), and boots the old version when `newVersionRefused`; every other boot is at once. Runs the switch until it
 * finished or failed; its events, and when it started.
 */
function switchWithBoots(
  firstBootMs: number | null,
  switchBootMs: number | null,
  newVersionRefused = false,
): { pair: CorePair; steps: SwitchEvent[]; startedAtMs: number } {
  const pair = new CorePair([FROM, FROM], {});
  pair.run(10);
  for (const board of [0, 1] as const) {
    const told = firstBootMs === null ? {} : { resetAtMs: pair.nowMs - firstBootMs };
    pair.boot(board, { otherVersion: TO.version, ...told });
  }
  pair.runUntil(() => pair.whole, 60_000);
  const confirmed: [AnyApp, AnyApp] = [FROM, FROM];
  let seen = pair.effects.length;
  let boards1Reboots = 0;
  const due: { board: 0 | 1; atMs: number; resetAtMs: number; boot: 'other-test' | 'confirmed' }[] =
    [];
  const bootRom = () => {
    for (const { board, effect } of pair.effects.slice(seen)) {
      if (effect.kind === 'confirm') confirmed[board] = pair.apps[board];
      if (effect.kind !== 'reboot') continue;
      const slow = board === 1 && boards1Reboots++ === 0;
      if (slow && switchBootMs === null) continue;
      const delayMs = slow ? (switchBootMs as number) : 0;
      due.push({ board, atMs: pair.nowMs + delayMs, resetAtMs: pair.nowMs, boot: effect.boot });
    }
    seen = pair.effects.length;
    for (const boot of due.filter((d) => d.atMs <= pair.nowMs)) {
      due.splice(due.indexOf(boot), 1);
      const other = confirmed[boot.board] === FROM ? TO : FROM;
      // A boot ROM that refuses the new image (its signature, its board) boots the one confirmed.
      const onTrial = boot.boot === 'other-test' && !newVersionRefused;
      const image = onTrial ? other : confirmed[boot.board];
      pair.boot(
        boot.board,
        {
          testMode: onTrial,
          otherVersion: (image === FROM ? TO : FROM).version,
          resetAtMs: boot.resetAtMs,
        },
        image,
      );
    }
  };
  const startedAtMs = pair.nowMs;
  if (pair.core(0).switchToOther(pair.nowMs) !== null) throw new Error('switch refused');
  const steps = () => pair.eventsOf('switch') as SwitchEvent[];
  pair.runUntil(() => {
    bootRom();
    return steps().some((s) => !s.ok || s.step === 'done');
  }, 60_000);
  return { pair, steps: steps(), startedAtMs };
}

test('a switch waits for a new version slower to boot than the default limit, as its last boot told', (t) => {
  const firstBootMs = 1_500;
  const switchBootMs = DEFAULT_LIMIT_MS + 500;
  t.true(switchBootMs < SWITCH_BOOT_SCALE * firstBootMs);
  const { steps } = switchWithBoots(firstBootMs, switchBootMs);
  t.deepEqual(
    steps.filter((s) => !s.ok),
    [],
  );
  t.true(steps.some((s) => s.step === 'done' && s.ok));
});

test('a partner that does not tell how long it boots gets the default limit', (t) => {
  const { steps } = switchWithBoots(null, DEFAULT_LIMIT_MS + 500);
  t.like(
    steps.find((s) => !s.ok),
    { step: 'd', why: { code: 'no-new-version', ms: DEFAULT_LIMIT_MS } },
  );
});

test('a new version that never boots fails the switch at d within the most a partner may ask for', (t) => {
  const anHourMs = 3_600_000;
  const { pair, steps, startedAtMs } = switchWithBoots(anHourMs, null);
  const failed = steps.find((s) => !s.ok);
  t.like(failed, { step: 'd', why: { code: 'no-new-version', ms: SWITCH_BOOT_LIMIT_MAX_MS } });
  const failedAtMs = pair.events.find((e) => e.event === failed)?.atMs ?? Number.NaN;
  t.true(
    failedAtMs - startedAtMs <= SWITCH_BOOT_LIMIT_MAX_MS + 100,
    `${failedAtMs - startedAtMs} ms`,
  );
  // The old primary serves alone again, on the old version.
  t.is(pair.core(0).role, 'primary-alone');
});

test('an old backup that comes back on the old version fails the switch at once, and the pair re-forms on it', (t) => {
  const { pair, steps, startedAtMs } = switchWithBoots(1_500, 200, true);
  const failed = steps.find((s) => !s.ok);
  t.like(failed, { why: { code: 'came-back-on', version: FROM.version } });
  const failedAtMs = pair.events.find((e) => e.event === failed)?.atMs ?? Number.NaN;
  t.true(failedAtMs - startedAtMs < DEFAULT_LIMIT_MS / 2, `${failedAtMs - startedAtMs} ms`);
  pair.runUntil(() => pair.whole, 30_000);
  t.deepEqual(
    pair.apps.map((app) => app.version),
    [FROM.version, FROM.version],
  );
});
