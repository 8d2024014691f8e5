// Evaluated inside an image's context by boards/node/sandbox.ts, before the
// image: WHATWG TextEncoder and TextDecoder (UTF-8 only), made of the
// context's own objects, so that no codec of the board process (whose
// constructor would lead to the board's `Function`) is ever reachable from an
// image. This is plain library code holding nothing of the host: an image
// that replaces a builtin it uses only breaks its own text handling.
(() => {
  const REPLACEMENT = 0xfffd;
  const LABELS = [
    'unicode-1-1-utf-8',
    'unicode11utf8',
    'unicode20utf8',
    'utf-8',
    'utf8',
    'x-unicode20utf8',
  ];
  /** Code units per String.fromCharCode call: below engines' argument limits. */
  const CHUNK_UNITS = 8192;

  /** The code point at `i`; a lone surrogate reads as U+FFFD (USVString conversion). */
  function codePointAt(text, i) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) return unit;
    if (unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff)
        return 0x10000 + ((unit - 0xd800) << 10) + next - 0xdc00;
    }
    return REPLACEMENT;
  }

  function utf8Length(codePoint) {
    if (codePoint < 0x80) return 1;
    if (codePoint < 0x800) return 2;
    return codePoint < 0x10000 ? 3 : 4;
  }

  function writeCodePoint(codePoint, out, at) {
    if (codePoint < 0x80) {
      out[at] = codePoint;
      return at + 1;
    }
    if (codePoint < 0x800) {
      out[at] = 0xc0 | (codePoint >> 6);
      out[at + 1] = 0x80 | (codePoint & 0x3f);
      return at + 2;
    }
    if (codePoint < 0x10000) {
      out[at] = 0xe0 | (codePoint >> 12);
      out[at + 1] = 0x80 | ((codePoint >> 6) & 0x3f);
      out[at + 2] = 0x80 | (codePoint & 0x3f);
      return at + 3;
    }
    out[at] = 0xf0 | (codePoint >> 18);
    out[at + 1] = 0x80 | ((codePoint >> 12) & 0x3f);
    out[at + 2] = 0x80 | ((codePoint >> 6) & 0x3f);
    out[at + 3] = 0x80 | (codePoint & 0x3f);
    return at + 4;
  }

  const typedArrayTag = Object.getOwnPropertyDescriptor(
    Object.getPrototypeOf(Uint8Array.prototype),
    Symbol.toStringTag,
  ).get;
  const arrayBufferLength = Object.getOwnPropertyDescriptor(
    ArrayBuffer.prototype,
    'byteLength',
  ).get;
  const sharedBufferLength = Object.getOwnPropertyDescriptor(
    SharedArrayBuffer.prototype,
    'byteLength',
  ).get;

  // By internal slots, not `instanceof`: a buffer of another realm is a buffer too.
  function isUint8Array(value) {
    return typedArrayTag.call(value) === 'Uint8Array';
  }

  function isBuffer(value, byteLength) {
    try {
      byteLength.call(value);
      return true;
    } catch {
      return false;
    }
  }

  class TextEncoder {
    get encoding() {
      return 'utf-8';
    }

    encode(input = '') {
      const text = String(input);
      let bytes = 0;
      for (let i = 0; i < text.length; i++) {
        const codePoint = codePointAt(text, i);
        if (codePoint > 0xffff) i++;
        bytes += utf8Length(codePoint);
      }
      const out = new Uint8Array(bytes);
      let at = 0;
      for (let i = 0; i < text.length; i++) {
        const codePoint = codePointAt(text, i);
        if (codePoint > 0xffff) i++;
        at = writeCodePoint(codePoint, out, at);
      }
      return out;
    }

    encodeInto(source, destination) {
      if (!isUint8Array(destination)) {
        throw new TypeError('TextEncoder.encodeInto: the destination must be a Uint8Array');
      }
      const text = String(source);
      let read = 0;
      let written = 0;
      while (read < text.length) {
        const codePoint = codePointAt(text, read);
        const length = utf8Length(codePoint);
        if (written + length > destination.length) break;
        written = writeCodePoint(codePoint, destination, written);
        read += codePoint > 0xffff ? 2 : 1;
      }
      return { read, written };
    }
  }

  class TextDecoder {
    #fatal;
    #ignoreBom;
    /** A decode({ stream: true }) is in progress: keep the state below. */
    #streaming = false;
    #bomSeen = false;
    #needed = 0;
    #seen = 0;
    #codePoint = 0;
    #lower = 0x80;
    #upper = 0xbf;

    constructor(label = 'utf-8', options = undefined) {
      const name = String(label).trim().toLowerCase();
      if (!LABELS.includes(name)) {
        throw new RangeError(`TextDecoder: the encoding "${label}" is not supported (UTF-8 only)`);
      }
      this.#fatal = Boolean(options?.fatal);
      this.#ignoreBom = Boolean(options?.ignoreBOM);
    }

    get encoding() {
      return 'utf-8';
    }

    get fatal() {
      return this.#fatal;
    }

    get ignoreBOM() {
      return this.#ignoreBom;
    }

    decode(input = undefined, options = undefined) {
      const bytes = toBytes(input);
      if (!this.#streaming) {
        this.#reset();
        this.#bomSeen = false;
      }
      this.#streaming = Boolean(options?.stream);
      const units = [];
      const parts = [];
      const emit = (codePoint) => {
        if (!this.#bomSeen) {
          this.#bomSeen = true;
          if (codePoint === 0xfeff && !this.#ignoreBom) return;
        }
        if (codePoint > 0xffff) {
          const offset = codePoint - 0x10000;
          units.push(0xd800 + (offset >> 10), 0xdc00 + (offset & 0x3ff));
        } else {
          units.push(codePoint);
        }
        if (units.length >= CHUNK_UNITS) {
          parts.push(String.fromCharCode.apply(null, units));
          units.length = 0;
        }
      };
      const error = () => {
        if (this.#fatal) {
          this.#reset();
          this.#streaming = false;
          throw new TypeError('TextDecoder: the input is not valid UTF-8');
        }
        emit(REPLACEMENT);
      };
      let i = 0;
      while (i < bytes.length) {
        const byte = bytes[i];
        if (this.#needed === 0) {
          i++;
          if (byte <= 0x7f) emit(byte);
          else if (byte >= 0xc2 && byte <= 0xdf) this.#start(1, byte & 0x1f);
          else if (byte >= 0xe0 && byte <= 0xef) {
            if (byte === 0xe0) this.#lower = 0xa0;
            if (byte === 0xed) this.#upper = 0x9f;
            this.#start(2, byte & 0x0f);
          } else if (byte >= 0xf0 && byte <= 0xf4) {
            if (byte === 0xf0) this.#lower = 0x90;
            if (byte === 0xf4) this.#upper = 0x8f;
            this.#start(3, byte & 0x07);
          } else error();
          continue;
        }
        if (byte < this.#lower || byte > this.#upper) {
          // The byte is not consumed: it starts the next sequence.
          this.#reset();
          error();
          continue;
        }
        i++;
        this.#lower = 0x80;
        this.#upper = 0xbf;
        this.#codePoint = (this.#codePoint << 6) | (byte & 0x3f);
        this.#seen++;
        if (this.#seen === this.#needed) {
          const codePoint = this.#codePoint;
          this.#reset();
          emit(codePoint);
        }
      }
      if (!this.#streaming && this.#needed !== 0) {
        this.#reset();
        error();
      }
      parts.push(String.fromCharCode.apply(null, units));
      return parts.join('');
    }

    #start(needed, bits) {
      this.#needed = needed;
      this.#codePoint = bits;
    }

    #reset() {
      this.#needed = 0;
      this.#seen = 0;
      this.#codePoint = 0;
      this.#lower = 0x80;
      this.#upper = 0xbf;
    }
  }

  function toBytes(input) {
    if (input === undefined) return new Uint8Array(0);
    if (ArrayBuffer.isView(input)) {
      return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    }
    if (isBuffer(input, arrayBufferLength) || isBuffer(input, sharedBufferLength)) {
      return new Uint8Array(input);
    }
    throw new TypeError('TextDecoder.decode: the input must be an ArrayBuffer or a view of one');
  }

  for (const [name, value] of [
    ['TextEncoder', TextEncoder],
    ['TextDecoder', TextDecoder],
  ]) {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
  }
})();
