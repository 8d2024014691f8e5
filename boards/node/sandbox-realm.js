// The in-context half of the image sandbox's membrane; boards/node/sandbox.ts
// holds the host half and says why it is built this way. Evaluated in each
// image context after the text codecs and before the image, it locks what
// Node's own machinery reads from a context, then returns `connect`, which
// the host calls once with its bridge: host functions that take primitives
// and this context's own Uint8Arrays, and return primitives. `connect`
// returns the entry points the host calls the image through.
//
// The image runs in this same context and may replace any builtin before
// this code runs again, so:
// - every builtin used after evaluation is captured now and called with
//   `apply`; no iteration protocol, spread, `instanceof` or method lookup on
//   a value the image can reach;
// - the host's functions live only in this closure; what they return is
//   checked to be a primitive, and what they throw is never rethrown: a fresh
//   error of this context is, carrying at most the message string;
// - every call into the image is made from a strict frame of this file (so
//   `fn.caller` stops here) and any exception it raises is caught here: what
//   reaches the host is a primitive string;
// - what the image hands the board (events, status, state) is copied into
//   fresh objects of this context built with own data properties only, so no
//   getter, setter or proxy of the image is left for the host to touch.
(function sandboxRealm() {
  const global = globalThis;
  const { apply, defineProperty, deleteProperty, getOwnPropertyDescriptor, getPrototypeOf } =
    Reflect;
  const isArray = Array.isArray;
  const isInteger = Number.isInteger;
  const freeze = Object.freeze;
  const objectKeys = Object.keys;
  const parseJson = JSON.parse;
  const toText = String;
  const ObjectPrototype = Object.prototype;
  const RealmError = Error;
  const RealmTypeError = TypeError;
  const Bytes = Uint8Array;
  const typedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
  const typedArrayTag = getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag).get;
  const typedArrayLength = getOwnPropertyDescriptor(typedArrayPrototype, 'length').get;
  const typedArraySet = typedArrayPrototype.set;
  /** Depth of data an image hands the board (events, status, state); deeper is refused (or a cycle). */
  const COPY_DEPTH_MAX = 64;

  // Node formats an error's stack with `globalThis.Error.prepareStackTrace` of
  // the error's context, handing it call sites and an array of the context
  // that reads the stack, which may be the board's: no image may set it.
  defineProperty(RealmError, 'prepareStackTrace', {
    value: undefined,
    writable: false,
    enumerable: false,
    configurable: false,
  });
  defineProperty(global, 'Error', {
    value: RealmError,
    writable: false,
    enumerable: false,
    configurable: false,
  });
  // Cleanup callbacks run outside any call the board makes, where an exception
  // would reach Node's uncaught-exception handling; firmware needs none.
  deleteProperty(global, 'FinalizationRegistry');

  function data(value) {
    return { __proto__: null, value, writable: true, enumerable: true, configurable: true };
  }

  function badArgument(message) {
    const error = new RealmTypeError(message);
    defineProperty(error, 'code', data('hal-argument'));
    return error;
  }

  function isBytes(value) {
    return apply(typedArrayTag, value, []) === 'Uint8Array';
  }

  function copyBytes(value) {
    const out = new Bytes(apply(typedArrayLength, value, []));
    apply(typedArraySet, out, [value]);
    return out;
  }

  /** Plain data the image hands the board, as fresh objects of this context. */
  function copyData(value, depth) {
    const type = typeof value;
    if (type === 'symbol') throw badArgument('a symbol is not data the board can take');
    if (type === 'function') throw badArgument('a function is not data the board can take');
    if (type !== 'object' || value === null) return value;
    if (depth >= COPY_DEPTH_MAX) {
      throw badArgument(`data nested deeper than ${COPY_DEPTH_MAX} levels (or a cycle)`);
    }
    if (isBytes(value)) return copyBytes(value);
    if (isArray(value)) {
      const length = value.length;
      if (typeof length !== 'number' || !(length >= 0 && length <= 0xffffffff)) {
        throw badArgument('an array with a bad length');
      }
      const out = [];
      for (let i = 0; i < length; i++) defineProperty(out, i, data(copyData(value[i], depth + 1)));
      return out;
    }
    const prototype = getPrototypeOf(value);
    if (prototype !== ObjectPrototype && prototype !== null) {
      throw badArgument('only plain objects, arrays and Uint8Arrays are data the board can take');
    }
    const out = { __proto__: null };
    const keys = objectKeys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      defineProperty(out, key, data(copyData(value[key], depth + 1)));
    }
    return out;
  }

  /** Any value the image threw or handed over, as a string; runs only the image's own code. */
  function describe(value) {
    try {
      if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
        const message = value.message;
        if (typeof message === 'string') {
          const name = value.name;
          return typeof name === 'string' && name !== '' ? `${name}: ${message}` : message;
        }
      }
      const text = toText(value);
      return typeof text === 'string' ? text : 'a value that is not text';
    } catch {
      return 'a value that cannot be printed';
    }
  }

  function checkNumber(value, what) {
    if (typeof value !== 'number') throw badArgument(`${what} must be a number`);
    return value;
  }

  function checkString(value, what) {
    if (typeof value !== 'string') throw badArgument(`${what} must be a string`);
    return value;
  }

  function checkFunction(value, what) {
    if (typeof value !== 'function') throw badArgument(`${what} must be a function`);
    return value;
  }

  function checkBytes(value) {
    if (!isBytes(value)) throw badArgument('bytes must be a Uint8Array');
    return value;
  }

  return function connect(bridge) {
    // Read once: the bridge object itself is not kept.
    const hostNow = bridge.now;
    const hostWakeAt = bridge.wakeAt;
    const hostWrite = bridge.write;
    const hostSetDtr = bridge.setDtr;
    const hostListenData = bridge.listenData;
    const hostListenDsr = bridge.listenDsr;
    const hostPulseFence = bridge.pulseFence;
    const hostSetLed = bridge.setLed;
    const hostReboot = bridge.reboot;
    const hostConfirm = bridge.confirm;
    const hostLog = bridge.log;
    const hostRecord = bridge.record;
    const hostStoreRead = bridge.storeRead;
    const hostStoreWrite = bridge.storeWrite;
    const hostStoreErase = bridge.storeErase;

    /**
     * Calls a host function. A host exception never enters the image: it is
     * replaced by an error of this context with at most its message.
     */
    function host(fn, a, b, c) {
      let result;
      try {
        result = fn(a, b, c);
      } catch (thrown) {
        const error = new RealmError(
          typeof thrown === 'string' ? thrown : 'the board failed this call',
        );
        defineProperty(error, 'code', data('hal-failed'));
        throw error;
      }
      const type = typeof result;
      if (type === 'number' || type === 'string' || type === 'boolean') return result;
      return undefined;
    }

    /** A store call: a returned message is an argument the board refused. */
    function storeCall(fn, a, b) {
      const refusal = host(fn, a, b);
      if (typeof refusal === 'string' && refusal !== '') throw badArgument(refusal);
    }

    /**
     * The durable store, or null. A read's bytes arrive in a Uint8Array of
     * this context, made here and filled by the board before the image sees it.
     */
    function store(shape) {
      const g = shape.store;
      if (g === null || g === undefined) return null;
      const geometry = freeze({
        __proto__: null,
        eraseBlockBytes: g.eraseBlockBytes,
        writeBytes: g.writeBytes,
        blockCount: g.blockCount,
        enduranceCycles: g.enduranceCycles,
      });
      const size = g.eraseBlockBytes * g.blockCount;
      return {
        geometry,
        read(offset, length) {
          checkNumber(offset, 'a store offset');
          if (!isInteger(length) || length < 0 || length > size) {
            throw badArgument(`a store read takes a whole number of bytes, at most ${size}`);
          }
          const out = new Bytes(length);
          storeCall(hostStoreRead, offset, out);
          return out;
        },
        write(offset, bytes) {
          storeCall(hostStoreWrite, checkNumber(offset, 'a store offset'), checkBytes(bytes));
        },
        erase(block) {
          storeCall(hostStoreErase, checkNumber(block, 'an erase block'));
        },
      };
    }

    /** Image callbacks by port (-1 is the bus) and the one pending wake-up. */
    const dataHandlers = { __proto__: null };
    const dsrHandlers = { __proto__: null };
    let wake = { __proto__: null, id: 0, callback: undefined };
    let handle;

    function uart(port) {
      return {
        write(bytes) {
          host(hostWrite, port, checkBytes(bytes));
        },
        onData(handler) {
          dataHandlers[port] = checkFunction(handler, 'a data handler');
          host(hostListenData, port);
        },
        setDtr(high) {
          host(hostSetDtr, port, !!high);
        },
        onDsr(handler) {
          dsrHandlers[port] = checkFunction(handler, 'a DSR handler');
          host(hostListenDsr, port);
        },
      };
    }

    function makeHal(shape) {
      const interconnect = [];
      for (let path = 0; path < shape.paths; path++)
        defineProperty(interconnect, path, data(uart(path)));
      return {
        processor: shape.processor,
        clock: {
          now() {
            return host(hostNow);
          },
          wakeAt(atMs, callback) {
            checkNumber(atMs, 'a wake-up time');
            wake = {
              __proto__: null,
              id: wake.id + 1,
              callback: checkFunction(callback, 'a wake-up'),
            };
            host(hostWakeAt, atMs, wake.id);
          },
        },
        interconnect,
        bus: uart(-1),
        store: store(shape),
        gpio: {
          pulseFence() {
            host(hostPulseFence);
          },
          setLed(name, on) {
            host(hostSetLed, checkString(name, 'an LED name'), !!on);
          },
        },
        boot: {
          incarnation: shape.incarnation,
          testMode: shape.testMode,
          otherVersion: shape.otherVersion,
          seed: shape.seed,
          resetAtMs: shape.resetAtMs,
          reboot(choice) {
            host(hostReboot, checkString(choice, 'a reboot choice'));
          },
          confirm() {
            host(hostConfirm);
          },
        },
        log(line) {
          host(hostLog, typeof line === 'string' ? line : describe(line));
        },
        record(event, atMs) {
          host(hostRecord, copyData(event, 0), checkNumber(atMs, 'an event time'));
        },
      };
    }

    function method(name, argument) {
      if (handle === undefined) throw new RealmError('the image is not running');
      const fn = handle[name];
      if (typeof fn !== 'function') throw new RealmError(`the image's pair has no ${name}()`);
      return apply(fn, handle, [argument]);
    }

    /** An entry point for the host: whatever the image throws leaves as a string. */
    function entry(fn) {
      return (a, b) => {
        try {
          return fn(a, b);
        } catch (thrown) {
          throw describe(thrown);
        }
      };
    }

    return {
      __proto__: null,
      /** This context's Uint8Array: the host fills one with bytes for the image. */
      Bytes,
      describe,
      start: entry((shapeJson) => {
        const shape = parseJson(shapeJson);
        const image = global.tandemImage;
        const runPair = image === null || image === undefined ? undefined : image.runPair;
        const app = runPair === undefined ? undefined : image.app;
        if (typeof runPair !== 'function' || app === undefined) {
          throw new RealmError('the image does not define tandemImage.app and tandemImage.runPair');
        }
        handle = apply(runPair, image, [app, makeHal(shape), shape.overrides]);
      }),
      data: entry((port, bytes) => {
        const handler = dataHandlers[port];
        if (handler !== undefined) handler(bytes);
      }),
      dsr: entry((port, high) => {
        const handler = dsrHandlers[port];
        if (handler !== undefined) handler(high);
      }),
      wake: entry((id) => {
        const pending = wake;
        if (pending.id !== id || pending.callback === undefined) return;
        wake = { __proto__: null, id, callback: undefined };
        const callback = pending.callback;
        callback();
      }),
      status: entry(() => copyData(method('status'), 0)),
      state: entry(() => copyData(method('state'), 0)),
      switchToOther: entry(() => {
        const refusal = method('switchToOther');
        return refusal === null || refusal === undefined ? null : copyData(refusal, 0);
      }),
      otherImageChanged: entry((version) => {
        method('otherImageChanged', version);
      }),
    };
  };
})();
