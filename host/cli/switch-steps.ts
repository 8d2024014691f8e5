/**
 * The steps of a switch as `tandem switch` prints them: in the procedure's
 * order (a to i, done) although the two boards' journals are read apart and
 * a step can arrive after a later one, each line wrapped to 80 columns.
 */
import type { SwitchStep } from '../pair/switch.ts';
import { SWITCH_STEP_TITLES, switchStepRank } from '../switch-procedure.ts';
import type { Stylist } from './terminal-style.ts';

export const LINE_WIDTH_MAX = 80;

/** Words of `text` in lines of at most `width` (a longer word gets a line of its own, cut). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    const cut = word.length > width ? `${word.slice(0, width - 1)}…` : word;
    if (line.length === 0) line = cut;
    else if (line.length + 1 + cut.length <= width) line += ` ${cut}`;
    else {
      lines.push(line);
      line = cut;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

/** One step: its letter, board, outcome and time, then the title and the board's detail, wrapped. */
export function stepLines(step: SwitchStep, style: Stylist): string[] {
  const outcome = step.ok ? style('green', 'ok    ') : style('red', 'FAILED');
  const at = `${step.atMs.toFixed(0).padStart(6)} ms`;
  const head = `  ${step.step.padEnd(4)} P${step.processor}  `;
  const indent = ' '.repeat(head.length + 18);
  const width = LINE_WIDTH_MAX - indent.length;
  const [first = '', ...rest] = wrap(
    SWITCH_STEP_TITLES[step.step],
    LINE_WIDTH_MAX - head.length - 18,
  );
  const lines = [`${head}${outcome} ${style('dim', at)}  ${first}`];
  for (const more of wrap(rest.join(' '), width)) lines.push(`${indent}${more}`);
  for (const more of wrap(step.detail, width)) lines.push(`${indent}${style('dim', more)}`);
  return lines;
}

/**
 * Holds steps until every earlier step of the procedure has been printed; a
 * failed step, `done` or `flush` prints what is held, in order.
 */
export class StepPrinter {
  #held: SwitchStep[] = [];
  #next = 0;

  constructor(readonly print: (step: SwitchStep) => void) {}

  add(step: SwitchStep): void {
    this.#held.push(step);
    this.#held.sort(byProcedure);
    if (!step.ok || step.step === 'done') {
      this.flush();
      return;
    }
    while (this.#held[0] !== undefined && rank(this.#held[0]) <= this.#next) {
      const first = this.#held.shift() as SwitchStep;
      this.#next = Math.max(this.#next, rank(first) + 1);
      this.print(first);
    }
  }

  flush(): void {
    for (const step of this.#held) {
      this.#next = Math.max(this.#next, rank(step) + 1);
      this.print(step);
    }
    this.#held = [];
  }
}

function rank(step: SwitchStep): number {
  return switchStepRank(step.step);
}

function byProcedure(a: SwitchStep, b: SwitchStep): number {
  return rank(a) - rank(b) || a.atMs - b.atMs;
}
