import { getHeapCodeStatistics } from 'node:v8';
import { Script } from 'node:vm';
import test from 'ava';
import { compileWhole } from '../boards/node/compile-whole.ts';

// Many small functions, none of them called: compiled lazily, V8 makes
// bytecode for the top level only.
const SOURCE = Array.from(
  { length: 400 },
  (_, i) =>
    `function f${i}(a) { const b = a * ${i} + (a >> 1); return b > ${i} ? b - ${i} : [b, a]; }`,
).join('\n');

/** Bytecode the heap gained while `compile` ran; the script is kept so that none of it is collected first. */
function bytecodeOf(compile: () => Script, kept: Script[]): number {
  const before = getHeapCodeStatistics().bytecode_and_metadata_size;
  kept.push(compile());
  return getHeapCodeStatistics().bytecode_and_metadata_size - before;
}

test('an image is compiled whole before it runs, and scripts compiled after it are lazy again', (t) => {
  const kept: Script[] = [];
  // A source of its own each time: V8 would hand back a cached compile of the same text.
  const lazy = bytecodeOf(() => new Script(`${SOURCE}\n// lazy`), kept);
  const whole = bytecodeOf(() => compileWhole(`${SOURCE}\n// whole`, 'image.js'), kept);
  const after = bytecodeOf(() => new Script(`${SOURCE}\n// after`), kept);
  t.log(`bytecode: lazy ${lazy} B, whole ${whole} B, after ${after} B`);
  t.true(whole > 5 * lazy, 'every function compiled');
  t.true(5 * after < whole, 'the flag set back');
  t.is(kept.length, 3);
});
