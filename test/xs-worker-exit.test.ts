/**
 * A dying XS worker says why: the board's error carries its exit code,
 * what xsnap means by it and the worker's last line, as values. XS aborts
 * the worker on a stack overflow (exit 12); before this, the error said
 * only "the XS worker exited". Also: what the worker asks
 * while it runs (xsnap's issueCommand, how the engine reaches the board's
 * store) is answered before its answer comes. Skips, saying why, where XS
 * is not built.
 */
import test from 'ava';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { XsnapError, XsnapProcess } from '../boards/xs/xsnap-process.ts';

const xs = findXsnap();

test('a worker that overflows its stack is reported with exit 12, stack-overflow', (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const worker = new XsnapProcess(xs.path, () => {});
  t.teardown(() => worker.close());
  const error = t.throws(
    () => worker.evaluate('function deeper(n) { return deeper(n + 1) + 1; } deeper(0);'),
    { instanceOf: XsnapError },
  );
  t.is(error?.code, 'worker-gone');
  // xsnap is built without XS's console (mxNoConsole): the code alone says it, no line.
  t.like(error?.exit, { code: 12, signal: null, reason: 'stack-overflow' });
  t.regex(error?.message ?? '', /exit 12, stack-overflow/);
});

test('a worker given a fixed heap collects within it, and ends not-enough-memory when what lives outgrows it', (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const heapBytes = 256 * 1024;
  const worker = new XsnapProcess(xs.path, () => {}, undefined, heapBytes);
  t.teardown(() => worker.close());
  // 16 KiB of numbers in an array: well within.
  const kept = worker.evaluate('globalThis.kept = Array.from({ length: 1024 }, (_, i) => i);');
  t.true(kept.allocate <= heapBytes, `${kept.allocate} B taken`);
  // 16 MB made and dropped, 16 KiB at a time: XS collects in its heap, and takes no more than it.
  const churned = worker.evaluate('for (let i = 0; i < 1000; i++) new Array(1024).fill(i);');
  t.true(churned.allocate <= heapBytes, `${churned.allocate} B taken`);
  const error = t.throws(
    () =>
      worker.evaluate(
        'for (let i = 0; i < 64; i++) globalThis.kept.push(new Array(1024).fill(i));',
      ),
    { instanceOf: XsnapError },
  );
  t.is(error?.code, 'worker-gone');
  t.like(error?.exit, { code: 11, signal: null, reason: 'not-enough-memory' });
  // Without the fixed heap the same program runs.
  const free = new XsnapProcess(xs.path, () => {});
  t.teardown(() => free.close());
  t.notThrows(() =>
    free.evaluate(
      'globalThis.kept = []; for (let i = 0; i < 64; i++) globalThis.kept.push(new Array(1024).fill(i));',
    ),
  );
});

test('a worker that dies of an exception is reported with its exit code and its last line', (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const lines: string[] = [];
  const worker = new XsnapProcess(xs.path, (line) => lines.push(line));
  t.teardown(() => worker.close());
  // An exception nobody catches, thrown from a task after the script: xsnap prints it and exits.
  const error = t.throws(
    () => worker.evaluate('setImmediate(() => { throw new Error("boom"); });'),
    { instanceOf: XsnapError },
  );
  t.deepEqual(error?.exit, {
    code: 255,
    signal: null,
    reason: 'unknown-error',
    lastLine: 'Unhandled exception Error: boom',
  });
  t.regex(error?.message ?? '', /its last words: Unhandled exception Error: boom/);
  t.deepEqual(lines, ['xsnap: Unhandled exception Error: boom']);
});

test('a worker killed by a signal is reported with the signal and no exit code', (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  // The worker asks the board (issueCommand); the board kills it before it answers.
  const worker: XsnapProcess = new XsnapProcess(
    xs.path,
    () => {},
    () => {
      process.kill(worker.pid ?? 0, 'SIGSEGV');
      return new Uint8Array(0);
    },
  );
  t.teardown(() => worker.close());
  const error = t.throws(
    () => worker.evaluate('issueCommand(new ArrayBuffer(1)); issueCommand(new ArrayBuffer(1));'),
    { instanceOf: XsnapError },
  );
  t.is(error?.exit?.code, null);
  t.is(error?.exit?.signal, 'SIGSEGV');
  t.is(error?.exit?.reason, null);
});

test('what the worker asks while it runs is answered, in order, before its answer', (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const asked: number[] = [];
  const worker = new XsnapProcess(
    xs.path,
    () => {},
    (request) => {
      asked.push(request[0] ?? -1);
      return new Uint8Array([(request[0] ?? 0) * 2]);
    },
  );
  t.teardown(() => worker.close());
  worker.evaluate(`
    const twice = (n) => new Uint8Array(issueCommand(new Uint8Array([n]).buffer))[0];
    if (twice(3) !== 6 || twice(21) !== 42) throw new Error('wrong answers');
  `);
  t.deepEqual(asked, [3, 21]);
});

test('the meter says how deep the stack went: deeper calls read deeper, regular expressions borrow from the bottom', (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const worker = new XsnapProcess(xs.path, () => {});
  t.teardown(() => worker.close());
  const idle = worker.evaluate('1');
  const ten = worker.evaluate('(function f(n) { return n ? f(n - 1) : 0; })(10)');
  const fifty = worker.evaluate('(function f(n) { return n ? f(n - 1) : 0; })(50)');
  t.true(idle.stackPeak > 0 && idle.stackPeak < ten.stackPeak && ten.stackPeak < fifty.stackPeak);
  // Forty calls more, each a frame of some slots: the reading follows them, not the stack's size.
  const perCall = (fifty.stackPeak - ten.stackPeak) / 40;
  t.true(perCall >= 4 && perCall <= 32, `${perCall} slots a call`);
  t.is(fifty.stackSlots, idle.stackSlots);
  t.true(fifty.stackPeak < fifty.stackSlots);
  t.is(fifty.stackScratch, 0);
  const matched = worker.evaluate('/a+b/.test("aaab")');
  t.true(matched.stackScratch > 0, 'a regular expression borrows scratch from the free stack');
  t.is(matched.stackPeak, fifty.stackPeak, 'and goes no deeper than the calls before it');
});
