/**
 * `tandem switch` prints the steps in the procedure's order even when the
 * two boards' journals deliver a step after a later one, and every line
 * fits 80 columns.
 */
import test from 'ava';
import { LINE_WIDTH_MAX, StepPrinter, stepLines } from '../host/cli/switch-steps.ts';
import type { Stylist } from '../host/cli/terminal-style.ts';
import type { SwitchStep } from '../host/pair/switch.ts';
import {
  SWITCH_ACTION_STEPS,
  SWITCH_STEPS,
  type SwitchStepName,
} from '../host/switch-procedure.ts';

const plain: Stylist = (_style, text) => text;

function step(name: SwitchStepName, processor: 1 | 2, atMs: number, ok = true): SwitchStep {
  return {
    step: name,
    processor,
    ok,
    atMs,
    detail: `what processor ${processor} recorded for step ${name}, long enough to need a second line of its own here`,
  };
}

test('steps that arrive out of order are printed in the order of the procedure', (t) => {
  const printed: string[] = [];
  const printer = new StepPrinter((s) => printed.push(s.step));
  // P2's journal was read before P1's: c and d arrive before b.
  for (const s of [step('a', 1, 1), step('c', 2, 9), step('d', 2, 12), step('b', 1, 8)]) {
    printer.add(s);
  }
  t.deepEqual(printed, ['a', 'b', 'c', 'd']);
  printer.add(step('f', 1, 30));
  t.deepEqual(printed, ['a', 'b', 'c', 'd'], 'f waits for e');
  printer.add(step('e', 2, 20));
  t.deepEqual(printed, ['a', 'b', 'c', 'd', 'e', 'f']);
});

test('a failed step prints what is held, in order, without waiting for the missing steps', (t) => {
  const printed: string[] = [];
  const printer = new StepPrinter((s) => printed.push(`${s.step}${s.ok ? '' : '!'}`));
  printer.add(step('a', 1, 1));
  printer.add(step('d', 2, 12));
  printer.add(step('c', 2, 10, false));
  t.deepEqual(printed, ['a', 'c!', 'd']);
});

test('every line of every step fits 80 columns', (t) => {
  for (const name of SWITCH_STEPS) {
    const lines = stepLines({ ...step(name, 2, 123_456), ok: false }, plain);
    t.true(lines.length >= 2);
    for (const line of lines) t.true(line.length <= LINE_WIDTH_MAX, `${line.length}: ${line}`);
  }
});

test('the procedure runs a to i, then done; faults go only into a to i', (t) => {
  t.deepEqual(SWITCH_STEPS, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'done']);
  t.deepEqual(SWITCH_ACTION_STEPS, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
});
