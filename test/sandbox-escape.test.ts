/**
 * The image sandbox is a boundary: hostile image scripts, run through the
 * board's own entry point (`runImage`), try every classic way out of a
 * `node:vm` context and each tries to write a file with the board's `fs`.
 * None may reach an object of the board's realm (so neither `process` nor
 * `require`), and the file must not exist afterwards. Each test failed on
 * the sandbox before the membrane (which handed the context the board's
 * TextEncoder, HAL, Buffers and errors).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { runImage } from '../boards/node/sandbox.ts';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import type { DurableRegion } from '../firmware/hal.ts';
import type { PairHandle } from '../firmware/pair-main.ts';
import { hostileScript, THROUGH_THE_GLOBALS } from './helpers/hostile-image.ts';
import { SandboxHal } from './helpers/sandbox-hal.ts';

const work = mkdtempSync(join(tmpdir(), 'tandem-sandbox-escape-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));
let files = 0;
const targetFile = () => join(work, `escaped-${++files}.txt`);

/** A generous bound for an image's promise jobs to settle; they settle in microseconds. */
const SETTLE_TIMEOUT_MS = 10_000;

interface Run {
  readonly board: SandboxHal;
  readonly target: string;
  readonly handle: PairHandle | null;
  readonly refusal: unknown;
}

function run(
  body: string,
  prepare?: (board: SandboxHal) => void,
  store: DurableRegion | null = null,
): Run {
  const board = new SandboxHal(2, store);
  prepare?.(board);
  const target = targetFile();
  try {
    return {
      board,
      target,
      handle: runImage(hostileScript(target, body), board.hal, {}),
      refusal: null,
    };
  } catch (refusal) {
    return { board, target, handle: null, refusal };
  }
}

function contained(t: ExecutionContext, { board, target }: Run): void {
  t.deepEqual(
    board.logs.filter((line) => /^(ESCAPED|FOREIGN|HOOK)/.test(line)),
    [],
    'the image reached an object of the board',
  );
  t.false(existsSync(target), 'the image wrote a file with the board’s fs');
}

function settled(board: SandboxHal, line: string): Promise<string> {
  return within(
    board.logged((logged) => logged === line),
    `"${line}" in the image's log`,
  );
}

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what}`)), SETTLE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const runPairReturning = (extra: string) =>
  `globalThis.tandemImage = { app: {}, runPair: function (app, hal, overrides) { useHal(hal); ${extra} note('done'); return pairHandle(); } };`;

test('the globals an image finds are its own: TextEncoder.constructor and this.constructor.constructor compile nothing of the board', (t) => {
  const attempt = run(`
probe('TextEncoder', TextEncoder);
probe('TextDecoder', TextDecoder);
try {
  probe('encoded', new TextEncoder().encode('x'));
  probe('encodeInto', new TextEncoder().encodeInto('x', new Uint8Array(4)));
  probe('decoder', new TextDecoder());
} catch (e) { probe('codec error', e); }
${THROUGH_THE_GLOBALS}
if (typeof FinalizationRegistry !== 'undefined') note('FinalizationRegistry offered');
${runPairReturning('')}`);
  t.is(attempt.refusal, null);
  t.true(attempt.board.logs.includes('probed TextEncoder'));
  t.true(attempt.board.logs.includes('probed this'));
  t.true(attempt.board.logs.includes('done'));
  t.false(attempt.board.logs.includes('FinalizationRegistry offered'));
  contained(t, attempt);
});

test('HAL functions, what they return and what they throw (the board’s own errors too) are the image’s realm’s', (t) => {
  const attempt = run(
    runPairReturning(`
probe('hal', hal); probe('overrides', overrides); probe('arguments', arguments);
var u = hal.interconnect[0];
var calls = {
  now: function () { return hal.clock.now(); },
  write: function () { return u.write(new Uint8Array([1, 2])); },
  setDtr: function () { return u.setDtr(true); },
  setLed: function () { return hal.gpio.setLed('run', true); },
  log: function () { return hal.log('hello'); },
  record: function () { return hal.record({ kind: 'alarm', detail: 'x' }, 1); },
  confirm: function () { return hal.boot.confirm(); },
  fence: function () { return hal.gpio.pulseFence(); },
  badWrite: function () { return u.write('not bytes'); },
  proxyWrite: function () { return u.write(new Proxy(new Uint8Array(2), {})); },
  badWake: function () { return hal.clock.wakeAt('soon', function () {}); },
  cyclic: function () { var o = {}; o.o = o; return hal.record(o, 1); },
  functionInEvent: function () { return hal.record({ f: function () {} }, 1); },
  logObject: function () { return hal.log({ toString: function () {
    probe('toString this', this); callers('toString', arguments.callee); return 'x'; } }); },
};
for (var name in calls) {
  try { var r = calls[name](); note('returned ' + name); probe('result ' + name, r); }
  catch (e) { note('threw ' + name); probe('thrown ' + name, e); try { probe('thrown stack ' + name, e.stack); } catch (x) {} }
}`),
    (board) => {
      board.fenceFails = true;
    },
  );
  t.is(attempt.refusal, null);
  for (const line of ['probed hal', 'threw fence', 'threw badWrite', 'threw cyclic', 'done']) {
    t.true(attempt.board.logs.includes(line), line);
  }
  contained(t, attempt);
});

test('the durable store crosses as data: reads are the image’s own Uint8Arrays, writes are copies, refusals and failures the image’s errors', (t) => {
  const store = new RetentiveMemory();
  const attempt = run(
    runPairReturning(`
var s = hal.store;
probe('store', s);
note('geometry ' + s.geometry.eraseBlockBytes + ' ' + s.geometry.writeBytes + ' ' + s.geometry.blockCount);
var unit = new Uint8Array(16); for (var i = 0; i < 16; i++) unit[i] = i;
s.write(32, unit);
unit[0] = 99; // the board took a copy
var back = s.read(32, 16);
probe('read', back);
note('read is realm bytes ' + (back instanceof Uint8Array) + ' ' + Array.prototype.join.call(back, ','));
s.write(32, new Uint8Array(16).fill(0xfe)); // flash rules: only clears bits
note('anded ' + s.read(32, 3).join(','));
s.erase(0);
note('erased ' + s.read(32, 1)[0]);
var bad = {
  offUnit: function () { s.write(3, new Uint8Array(16)); },
  outside: function () { return s.read(1 << 30, 1); },
  noBlock: function () { s.erase(99); },
  notBytes: function () { s.write(0, [1, 2]); },
  hugeRead: function () { return s.read(0, 1e12); },
};
for (var name in bad) {
  try { bad[name](); note('returned ' + name); }
  catch (e) { note('threw ' + name + ' ' + e.code); probe('thrown ' + name, e); }
}
`),
    undefined,
    store,
  );
  t.is(attempt.refusal, null);
  const logs = attempt.board.logs;
  t.true(logs.includes('geometry 4096 16 8'), 'the image sees the geometry');
  t.true(logs.includes('read is realm bytes true 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15'));
  t.true(logs.includes('anded 0,0,2'), 'a write only clears bits');
  t.true(logs.includes('erased 255'));
  for (const name of ['offUnit', 'outside', 'noBlock', 'notBytes', 'hugeRead']) {
    t.true(logs.includes(`threw ${name} hal-argument`), `${name}: ${logs.join(' | ')}`);
  }
  // A failure of the store (here its power cut) reaches the image as 'hal-failed'.
  const failing = new RetentiveMemory();
  failing.cutAtOperation = 1;
  const cut = run(
    runPairReturning(
      `try { hal.store.erase(0); note('erased'); } catch (e) { note('threw ' + e.code); probe('thrown cut', e); }`,
    ),
    undefined,
    failing,
  );
  t.true(cut.board.logs.includes('threw hal-failed'), cut.board.logs.join(' | '));
  contained(t, attempt);
  contained(t, cut);
});

test('arguments of image callbacks, their this, their callers, stack call sites and promise jobs are the image’s realm’s', async (t) => {
  const attempt = run(`
function watch(name) {
  return function () {
    probe(name + ' arguments', arguments); probe(name + ' this', this);
    callers(name, arguments.callee);
    try {
      Error.prepareStackTrace = function (e, sites) {
        probe(name + ' sites', sites);
        for (var i = 0; i < sites.length; i++) {
          probe(name + ' site', sites[i]);
          try { probe(name + ' site this', sites[i].getThis()); probe(name + ' site fn', sites[i].getFunction()); } catch (x) {}
        }
        return 'stack';
      };
      new Error('x').stack;
    } catch (e) { probe(name + ' stack error', e); }
    Promise.resolve(arguments[0]).then(function (v) {
      probe(name + ' job value', v); probe(name + ' job this', this);
      callers(name + ' job', arguments.callee); note('job ' + name);
    });
    note('called ' + name);
  };
}
${runPairReturning(`
hal.interconnect[0].onData(watch('data'));
hal.bus.onData(watch('bus'));
hal.interconnect[1].onDsr(watch('dsr'));
hal.clock.wakeAt(5, watch('wake'));`)}`);
  t.is(attempt.refusal, null);
  attempt.board.deliver(0, new Uint8Array([1, 2, 3]));
  attempt.board.deliver('bus', new Uint8Array([4]));
  attempt.board.dsr(1, false);
  attempt.board.wake();
  for (const name of ['data', 'bus', 'dsr', 'wake']) await settled(attempt.board, `job ${name}`);
  contained(t, attempt);
});

test('code generation from strings and wasm are off, so no import() can be built at run time', async (t) => {
  const routes = ['eval', 'indirect eval', 'Function', 'AsyncFunction', 'wasm'];
  const attempt = run(`
var spec = 'node:fs';
function attempt(route, f) {
  var r;
  try { r = f(); } catch (e) { note('threw ' + route + ' ' + e.name); probe(route + ' error', e); note('settled ' + route); return; }
  Promise.resolve(r).then(function (ns) {
    if (ns && ns.writeFileSync) { ns.writeFileSync(TARGET, route); note('ESCAPED ' + route); }
  }, function (e) { note('rejected ' + route + ' ' + e.name); probe(route + ' rejection', e); })
    .then(function () { note('settled ' + route); });
}
attempt('eval', function () { return eval('imp' + 'ort(spec)'); });
attempt('indirect eval', function () { return (0, eval)('imp' + 'ort(spec)'); });
attempt('Function', function () { return Function('s', 'return imp' + 'ort(s)')(spec); });
attempt('AsyncFunction', function () { return new realmFunctions[1]('s', 'return imp' + 'ort(s)')(spec); });
attempt('wasm', function () { return WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); });
${runPairReturning('')}`);
  t.is(attempt.refusal, null);
  for (const route of routes) await settled(attempt.board, `settled ${route}`);
  for (const route of ['eval', 'indirect eval', 'Function', 'AsyncFunction']) {
    t.true(attempt.board.logs.includes(`threw ${route} EvalError`), route);
  }
  t.true(attempt.board.logs.includes('rejected wasm CompileError'));
  contained(t, attempt);
});

test('a script that calls import() is refused before it runs', async (t) => {
  const attempt = run(`
import('node:fs').then(function (fs) { fs.writeFileSync(TARGET, 'import'); note('ESCAPED import'); },
  function (e) { probe('import rejection', e); }).then(function () { note('settled import'); });
${runPairReturning('')}`);
  if (attempt.refusal === null) await settled(attempt.board, 'settled import');
  t.like(attempt.refusal, { code: 'dynamic-import' });
  contained(t, attempt);
});

test('thenables the image hands back are never called by the board', async (t) => {
  const attempt = run(`
function thenable(route) {
  return { then: function (resolve, reject) {
    probe(route + ' resolve', resolve); probe(route + ' reject', reject);
    callers(route, arguments.callee); note('then called ' + route);
  } };
}
globalThis.tandemImage = { app: {}, runPair: function (app, hal) {
  useHal(hal);
  var handle = thenable('handle');
  handle.status = function () { return thenable('status'); };
  handle.state = function () { return thenable('state'); };
  handle.switchToOther = function () { return thenable('switch'); };
  handle.otherImageChanged = function (v) { probe('version', v); return thenable('changed'); };
  return handle;
} };`);
  const handle = attempt.handle;
  if (handle === null) return t.fail(`the image did not start: ${String(attempt.refusal)}`);
  const calls: (() => unknown)[] = [
    () => handle,
    () => handle.status(),
    () => handle.state(),
    () => handle.switchToOther(),
    () => handle.otherImageChanged('2.0.0'),
  ];
  const thenCalled = attempt.board.logged((line) => line.startsWith('then called'));
  for (const call of calls) {
    // What any host code may do with a value the board API returns: await it.
    const awaited = Promise.resolve()
      .then(call)
      .then(
        () => {},
        () => {},
      );
    await Promise.race([awaited, thenCalled]);
  }
  contained(t, attempt);
  t.false(attempt.board.logs.some((line) => line.startsWith('then called')));
});

test('bytes the image writes are read through internal slots: no method, getter or species of the image runs', async (t) => {
  const attempt = run(`
function hook(name) {
  return function () {
    note('HOOK ' + name); probe('hook ' + name + ' this', this); probe('hook ' + name + ' args', arguments);
    callers('hook ' + name, arguments.callee);
    return name === 'length' || name === 'byteLength' ? 1 : undefined;
  };
}
class Evil extends Uint8Array {}
var evil = new Evil([9, 8, 7, 6]);
var proxyTarget = new Uint8Array([1]);
Object.defineProperty(Evil, Symbol.species, { get: hook('species') });
var getters = ['length', 'byteLength', 'byteOffset', 'buffer', 'constructor'];
for (var i = 0; i < getters.length; i++) Object.defineProperty(Evil.prototype, getters[i], { get: hook(getters[i]) });
var methods = ['slice', 'subarray', 'set', 'map', 'valueOf', 'toString', 'at', 'values', Symbol.iterator];
for (var j = 0; j < methods.length; j++) Object.defineProperty(Evil.prototype, methods[j], { value: hook(String(methods[j])) });
globalThis.tandemImage = { app: {}, runPair: function (app, hal) {
  useHal(hal);
  var typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
  var lengthOf = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'length').get;
  var applyFunction = Reflect.apply;
  hal.bus.onData(function (b) {
    var s = '';
    for (var k = 0, n = applyFunction(lengthOf, b, []); k < n; k++) s += (k ? ',' : '') + b[k];
    note('bus bytes ' + s);
  });
  // What a careless membrane would call after the image replaced it.
  typedArrayPrototype.set = hook('TypedArray set');
  Object.defineProperty(typedArrayPrototype, 'length', { get: hook('TypedArray length') });
  Array.prototype[Symbol.iterator] = hook('Array iterator');
  Array.prototype.push = hook('Array push');
  Function.prototype.call = hook('Function call');
  Function.prototype.apply = hook('Function apply');
  Reflect.apply = hook('Reflect.apply');
  JSON.parse = hook('JSON.parse');
  Object.keys = hook('Object.keys');
  Object.defineProperty = hook('Object.defineProperty');
  Reflect.defineProperty = hook('Reflect.defineProperty');
  Array.isArray = hook('Array.isArray');
  hal.interconnect[0].write(evil);
  try { hal.interconnect[1].write(new Proxy(proxyTarget, { get: hook('proxy get'), getPrototypeOf: hook('proxy getPrototypeOf') })); }
  catch (e) { note('threw proxy write'); probe('proxy write error', e); }
  hal.record({ kind: 'alarm', detail: 'x', bytes: evil, list: [1, 2] }, 1);
  note('done');
  return pairHandle();
} };`);
  t.is(attempt.refusal, null);
  attempt.board.deliver('bus', new Uint8Array([5, 6]));
  await settled(attempt.board, 'bus bytes 5,6');
  t.deepEqual(
    attempt.board.written.map(({ port, bytes }) => ({ port, bytes: [...bytes] })),
    [{ port: 0, bytes: [9, 8, 7, 6] }],
  );
  t.deepEqual(attempt.board.records, [
    { kind: 'alarm', detail: 'x', bytes: new Uint8Array([9, 8, 7, 6]), list: [1, 2] },
  ]);
  t.true(attempt.board.logs.includes('threw proxy write'));
  contained(t, attempt);
});

test('what the image throws reaches the board as the board’s own error, which it may print freely', (t) => {
  const nasty = `
function nasty(route) {
  var e = new Error('nasty ' + route);
  Object.defineProperty(e, Symbol.for('nodejs.util.inspect.custom'), { value: function (depth, options, inspect) {
    probe(route + ' inspect options', options); probe(route + ' inspect function', inspect);
    note('inspected ' + route); return 'nasty';
  } });
  Object.defineProperty(e, 'stack', { get: function () {
    callers(route + ' stack getter', arguments.callee); probe(route + ' stack this', this); return 'nasty stack';
  } });
  return e;
}`;
  const attempt = run(`${nasty}
globalThis.tandemImage = { app: {}, runPair: function (app, hal) {
  useHal(hal);
  hal.interconnect[0].onData(function () { throw nasty('data'); });
  hal.clock.wakeAt(1, function () { throw nasty('wake'); });
  var handle = pairHandle();
  handle.status = function () { throw nasty('status'); };
  handle.state = function () { throw nasty('state'); };
  handle.switchToOther = function () { throw nasty('switch'); };
  return handle;
} };`);
  const handle = attempt.handle;
  if (handle === null) return t.fail(`the image did not start: ${String(attempt.refusal)}`);
  const loading = run(`${nasty}\nthrow nasty('load');`);
  const starting = run(
    `${nasty}\nglobalThis.tandemImage = { app: {}, runPair: function () { throw nasty('runPair'); } };`,
  );
  const actions: [string, () => unknown][] = [
    ['data', () => attempt.board.deliver(0, new Uint8Array([1]))],
    ['wake', () => attempt.board.wake()],
    ['status', () => handle.status()],
    ['state', () => handle.state()],
    ['switch', () => handle.switchToOther()],
  ];
  const thrown: unknown[] = [loading.refusal, starting.refusal];
  for (const [, action] of actions) {
    try {
      action();
      thrown.push(null);
    } catch (error) {
      thrown.push(error);
    }
  }
  for (const error of thrown) {
    t.true(error instanceof Error, 'an error of the board’s realm');
    // What any host code may do with an error: print it, read its stack, log it.
    inspect(error);
    String(error);
    (error as Error).stack;
    t.regex((error as Error).message, /nasty/);
  }
  t.like(loading.refusal, { code: 'image-crashed' });
  t.like(starting.refusal, { code: 'image-crashed' });
  t.like(thrown[2], { code: 'image-fault' });
  for (const each of [attempt, loading, starting]) contained(t, each);
});

/**
 * Node itself formats an error no call of the board caught (an unhandled
 * rejection, an exception out of a timer): it must not hand the image's
 * `Error.prepareStackTrace` anything of the board. Runs in a child process,
 * where nothing but Node handles the crash.
 */
for (const [name, trigger] of [
  ['an unhandled rejection', "Promise.reject(new Error('unhandled'));"],
  [
    'an exception out of a wake-up',
    "hal.clock.wakeAt(1, function () { throw new Error('from a wake-up'); });",
  ],
] as const) {
  test(`${name} in the image is formatted by Node without handing the image anything of the board`, async (t) => {
    const target = targetFile();
    const script = join(work, `child-${files}.js`);
    writeFileSync(
      script,
      hostileScript(
        target,
        `
try {
  Error.prepareStackTrace = function (e, sites) {
    probe('sites', sites);
    for (var i = 0; i < sites.length; i++) {
      probe('site', sites[i]);
      try { probe('site this', sites[i].getThis()); probe('site fn', sites[i].getFunction()); } catch (x) {}
    }
    return 'stack';
  };
} catch (e) { note('prepareStackTrace refused'); }
${runPairReturning(`note('armed'); ${trigger}`)}`,
      ),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'sandbox-child.ts'), script],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const code = await within(
      new Promise<number | null>((resolve) => child.on('exit', resolve)),
      'exit of the child board',
    );
    t.log(`child exited with ${code}`);
    t.regex(output, /\barmed\b/, 'the image ran');
    t.notRegex(output, /ESCAPED|FOREIGN/);
    t.false(existsSync(target), 'the image wrote a file with the board’s fs');
  });
}
