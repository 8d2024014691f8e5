/**
 * Runs a verified image in a `node:vm` context that shares no object with the
 * board process: the image reaches the board only through the HAL it is
 * handed, and the HAL it is handed is made of the context's own objects.
 *
 * Why a membrane and not another engine or process. A context is a separate
 * realm: its `Function`, `Object` and prototypes are its own, and its code
 * can reach the board's only through an object of the board's realm (every
 * object leads to its realm's `Function` through `constructor`, and that
 * `Function` compiles code that sees `process`). The old sandbox handed in
 * the board's TextEncoder, its HAL objects, its Buffers and its exceptions,
 * so `TextEncoder.constructor('return process')()` was the board. The fix
 * is that nothing of the board's realm ever enters the context:
 * - the context gets an ordinary global (no contextified host object behind
 *   it) and no code generation from strings or wasm, so the image's script
 *   text is all the code it can run;
 * - TextEncoder/TextDecoder are evaluated inside it (sandbox-text-codecs.js);
 * - the HAL is built inside it (sandbox-realm.js) from functions that close
 *   over host functions the image cannot name; values cross only as
 *   primitives, as Uint8Arrays copied into the receiving realm through
 *   internal slots (no method, getter or species of the image runs), and as
 *   plain data copied into fresh objects; exceptions cross only as message
 *   strings, re-created as errors of the receiving realm; the host never
 *   reads, prints or awaits a value of the image's realm;
 * - what Node itself reads from a context is locked before the image runs:
 *   `Error.prepareStackTrace` (Node calls it with an array of the realm that
 *   reads a stack) and `FinalizationRegistry` (callbacks outside any call);
 * - `import()` would reach Node's loader, which answers with an error object
 *   of the board's realm; no Node 20 option turns it off, so scripts that
 *   contain it are refused (dynamic-import.ts).
 * QuickJS compiled to wasm would be a boundary by construction, but would run
 * the whole pair core in an interpreter many times slower than V8 on every
 * request; a separate process with Node's permission model would still give
 * the image `process` (the permission model does not cover the network or
 * signals in Node 20) and add a hop to every byte. The membrane costs a copy
 * per crossing (measured in the README's sandbox section).
 *
 * What remains: V8 and Node bugs; resource use (an image can loop forever or
 * exhaust memory and so stop its board, as a crash would); an unhandled
 * rejection in the image still ends the board process the way a crash does
 * (Node formats the reason without running the image's code once
 * `prepareStackTrace` is locked); and the context's V8 `console`, which only
 * forwards to an attached inspector.
 */
import { readFileSync } from 'node:fs';
import { constants, createContext, Script } from 'node:vm';
import type { DurableRegion, Hal, Uart } from '../../firmware/hal.ts';
import type { PairHandle, PairStatus } from '../../firmware/pair-main.ts';
import { isReason } from '../../firmware/reasons.ts';
import type { PairEvent } from '../../firmware/runtime/outputs.ts';
import type { SwitchRefusal } from '../../firmware/runtime/switch-procedure.ts';
import { CallMeter, type ImageCall } from '../call-meter.ts';
import { geometryData } from '../flash-region.ts';
import { compileWhole } from './compile-whole.ts';
import { dynamicImportAt } from './dynamic-import.ts';

export type ImageStartErrorCode =
  /** The script contains `import(`, which would reach the board's module loader. */
  | 'dynamic-import'
  /** The script threw, or left no `tandemImage` entry, or its `runPair` threw. */
  | 'image-crashed';

/** An image that cannot start on this board. */
export class ImageStartError extends Error {
  readonly imageStart = true;
  override name = 'ImageStartError';
  constructor(
    readonly code: ImageStartErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The image threw while the board called into it (a data handler, a wake-up, status). */
export class ImageFault extends Error {
  readonly imageFault = true;
  readonly code = 'image-fault';
  override name = 'ImageFault';
}

/** What sandbox-realm.js's `connect` returns: the host's entry points into the image. */
interface RealmApi {
  readonly Bytes: Uint8ArrayConstructor;
  describe(value: unknown): string;
  start(shapeJson: string): void;
  data(port: number, bytes: Uint8Array): void;
  dsr(port: number, high: boolean): void;
  wake(id: number): void;
  status(): unknown;
  state(): unknown;
  switchToOther(): unknown;
  otherImageChanged(version: string): void;
}

/** The host functions sandbox-realm.js's `connect` takes. */
interface Bridge {
  now(): number;
  wakeAt(atMs: unknown, id: unknown): void;
  write(port: unknown, bytes: unknown): void;
  setDtr(port: unknown, high: unknown): void;
  listenData(port: unknown): void;
  listenDsr(port: unknown): void;
  pulseFence(): void;
  setLed(name: unknown, on: unknown): void;
  reboot(choice: unknown): void;
  confirm(): void;
  log(line: unknown): void;
  record(event: unknown, atMs: unknown): void;
  /**
   * The durable store: each returns '' when done, or the message of a
   * refused argument (the image sees a 'hal-argument' error); a failure of
   * the store throws (a 'hal-failed' error). `out` is a Uint8Array the
   * realm made for the read, which the board fills.
   */
  storeRead(offset: unknown, out: unknown): string;
  storeWrite(offset: unknown, bytes: unknown): string;
  storeErase(block: unknown): string;
}

/** The bus's port number on the bridge; interconnect paths are 0 and up. */
const BUS_PORT = -1;
const LED_NAMES: readonly string[] = ['run', 'primary', 'fault'];
const REBOOT_CHOICES: readonly string[] = ['other-test', 'confirmed'];

const TEXT_CODECS = new Script(source('sandbox-text-codecs.js'), {
  filename: 'sandbox-text-codecs.js',
});
const REALM = new Script(source('sandbox-realm.js'), { filename: 'sandbox-realm.js' });

// The board's own intrinsics, read through internal slots on the image's Uint8Arrays.
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayTag = getter(typedArrayPrototype, Symbol.toStringTag);
const typedArrayLength = getter(typedArrayPrototype, 'length');
const typedArraySet = Uint8Array.prototype.set;

/** Calls into the image: a board's call of `kind` is timed; its thrown values become ImageFaults. */
type ImageCaller = (call: (api: RealmApi) => unknown, what: string, kind?: ImageCall) => unknown;

export function runImage(
  payload: string,
  hal: Hal,
  overrides: Record<string, number | boolean>,
  calls: CallMeter = new CallMeter(),
): PairHandle & { readonly calls: CallMeter } {
  const importAt = dynamicImportAt(payload);
  if (importAt >= 0) {
    throw new ImageStartError(
      'dynamic-import',
      `the image's script calls import() (at character ${importAt}), which would reach the board's module loader; images get everything through the HAL, so bundle every module into the image`,
    );
  }
  const context = createContext(
    // Node 20.18 and later: a plain global. Before, a contextified object with
    // no prototype, so that a global the image misses leads to nothing of ours.
    constants?.DONT_CONTEXTIFY ?? Object.create(null),
    { name: 'tandem image', codeGeneration: { strings: false, wasm: false } },
  );
  TEXT_CODECS.runInContext(context);
  const connect = REALM.runInContext(context) as (bridge: Bridge) => RealmApi;
  let realm: RealmApi | null = null;
  const image: ImageCaller = (call, what, kind) => {
    const api = realm;
    if (api === null) throw new ImageFault(`the image is not connected (${what})`);
    try {
      return kind === undefined ? call(api) : calls.time(kind, () => call(api));
    } catch (thrown) {
      // Only a string is read: sandbox-realm.js turns the image's exceptions into one.
      throw new ImageFault(`the image failed in ${what}: ${message(thrown)}`);
    }
  };
  realm = connect(bridge(hal, image));

  try {
    compileWhole(payload, 'image.js').runInContext(context);
  } catch (thrown) {
    // The thrown value belongs to the image: only the realm's describe reads it.
    const text = image((api) => api.describe(thrown), 'describing its error') as string;
    throw new ImageStartError('image-crashed', `the image threw while loading: ${text}`);
  }
  const shape = {
    processor: hal.processor,
    paths: hal.interconnect.length,
    incarnation: hal.boot.incarnation,
    testMode: hal.boot.testMode,
    otherVersion: hal.boot.otherVersion,
    seed: hal.boot.seed,
    resetAtMs: hal.boot.resetAtMs,
    store: hal.store === null ? null : geometryData(hal.store.geometry),
    overrides,
  };
  try {
    image((api) => api.start(JSON.stringify(shape)), 'runPair', 'start');
  } catch (error) {
    throw new ImageStartError('image-crashed', (error as Error).message);
  }
  return {
    status: () => fromImage(image((api) => api.status(), 'status()', 'status')) as PairStatus,
    state: () => fromImage(image((api) => api.state(), 'state()', 'state')),
    switchToOther: () => {
      const refusal = fromImage(image((api) => api.switchToOther(), 'switchToOther()', 'switch'));
      return isReason(refusal) ? (refusal as SwitchRefusal) : null;
    },
    otherImageChanged: (version) => {
      image((api) => api.otherImageChanged(String(version)), 'otherImageChanged()', 'other-image');
    },
    calls,
  };
}

/**
 * The host functions the image's HAL closes over. Each takes primitives or
 * the image's Uint8Arrays (read through internal slots only), returns a
 * primitive, and throws only strings.
 */
function bridge(hal: Hal, image: ImageCaller) {
  const port = (index: unknown): Uart => {
    if (index === BUS_PORT) return hal.bus;
    const uart = typeof index === 'number' ? hal.interconnect[index] : undefined;
    if (uart === undefined) throw new Error(`no port ${text(index)}`);
    return uart;
  };
  const deliver = (index: number) => (bytes: Uint8Array) => {
    image(
      (api) => {
        // A Uint8Array of the image's realm, filled with the board's own `set`.
        const copy = new api.Bytes(bytes.length);
        typedArraySet.call(copy, bytes);
        api.data(index, copy);
      },
      'a data handler',
      'data',
    );
  };
  const store = (call: (region: DurableRegion) => void): string => {
    if (hal.store === null) throw new Error('the board has no durable store');
    try {
      call(hal.store);
      return '';
    } catch (error) {
      // The board's own error: its code tells a refused argument from a failed store.
      if ((error as { code?: unknown }).code === 'hal-argument') return message(error);
      throw error;
    }
  };
  const functions: Bridge = {
    now: () => Number(hal.clock.now()),
    wakeAt: (atMs, id) => {
      if (typeof atMs !== 'number' || typeof id !== 'number') throw new Error('bad wake-up');
      hal.clock.wakeAt(atMs, () => image((api) => api.wake(id), 'a wake-up', 'wake'));
    },
    write: (index, bytes) => port(index).write(fromImageBytes(bytes)),
    setDtr: (index, high) => port(index).setDtr(high === true),
    listenData: (index) => port(index).onData(deliver(index as number)),
    listenDsr: (index) =>
      port(index).onDsr((high) =>
        image((api) => api.dsr(index as number, high === true), 'a DSR handler', 'dsr'),
      ),
    pulseFence: () => hal.gpio.pulseFence(),
    setLed: (name, on) => {
      if (typeof name !== 'string' || !LED_NAMES.includes(name)) {
        throw new Error(`no LED ${text(name)}; the board has ${LED_NAMES.join(', ')}`);
      }
      hal.gpio.setLed(name as 'run' | 'primary' | 'fault', on === true);
    },
    reboot: (choice) => {
      if (typeof choice !== 'string' || !REBOOT_CHOICES.includes(choice)) {
        throw new Error(`reboot takes ${REBOOT_CHOICES.join(' or ')}`);
      }
      hal.boot.reboot(choice as 'other-test' | 'confirmed');
    },
    confirm: () => hal.boot.confirm(),
    log: (line) => hal.log(text(line)),
    record: (event, atMs) => {
      if (typeof atMs !== 'number') throw new Error('an event time must be a number');
      hal.record(fromImage(event) as PairEvent, atMs);
    },
    storeRead: (offset, out) =>
      store((region) => {
        if (typeof offset !== 'number' || !isImageBytes(out)) throw new Error('bad store read');
        typedArraySet.call(out, region.read(offset, typedArrayLength.call(out) as number));
      }),
    storeWrite: (offset, bytes) =>
      store((region) => region.write(number(offset, 'a store offset'), fromImageBytes(bytes))),
    storeErase: (block) => store((region) => region.erase(number(block, 'an erase block'))),
  };
  // Every host function throws only strings into the image's realm.
  for (const name of Object.keys(functions) as (keyof Bridge)[]) {
    const fn = functions[name] as (...args: unknown[]) => unknown;
    (functions as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      try {
        const result = fn(...args);
        return typeof result === 'number' || typeof result === 'string' ? result : undefined;
      } catch (error) {
        throw message(error);
      }
    };
  }
  return functions;
}

/** A Uint8Array of the image's realm, told by its internal slots. */
function isImageBytes(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && typedArrayTag.call(value) === 'Uint8Array';
}

/** Bytes the image wrote, copied through internal slots: no method or getter of the image runs. */
function fromImageBytes(value: unknown): Uint8Array {
  if (!isImageBytes(value)) throw new Error('bytes must be a Uint8Array');
  const copy = new Uint8Array(typedArrayLength.call(value) as number);
  typedArraySet.call(copy, value as Uint8Array);
  return copy;
}

/**
 * Data sandbox-realm.js copied out of the image (own data properties only,
 * built by it, never seen by the image), as values of the board's realm.
 */
function fromImage(value: unknown): unknown {
  return structuredClone(value);
}

/** A number from the image, or a refused argument. */
function number(value: unknown, what: string): number {
  if (typeof value !== 'number') {
    throw Object.assign(new Error(`${what} must be a number`), { code: 'hal-argument' });
  }
  return value;
}

/** A primitive as text; never converts an object, which could be the image's. */
function text(value: unknown): string {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean'
    ? String(value)
    : `(a ${type})`;
}

/** A host error's message, or a string thrown by the realm: never reads an object of the image. */
function message(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  if (thrown instanceof Error) return thrown.message;
  return 'an error that is not a string';
}

function getter(object: object, key: PropertyKey): (this: unknown) => unknown {
  const get = Object.getOwnPropertyDescriptor(object, key)?.get;
  if (get === undefined) throw new Error(`no getter ${String(key)}`);
  return get;
}

function source(file: string): string {
  return readFileSync(new URL(file, import.meta.url), 'utf8');
}
