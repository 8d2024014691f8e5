/**
 * The device side of Firmata (host/lab/firmata-device.ts): requests parse
 * from exactly the bytes firmata-io sends, and no byte sequence makes the
 * parser throw, emit a malformed request or hold more than one sysex.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  encodeCapabilityResponse,
  encodeFirmwareReport,
  FirmataRequestParser,
  MAX_SYSEX_BYTES,
} from '../host/lab/firmata-device.ts';

const parse = (...bytes: number[]) => new FirmataRequestParser().push(Uint8Array.from(bytes));

test('the handshake queries and pin writes parse', (t) => {
  t.deepEqual(parse(0xf9), [{ kind: 'report-version' }]);
  t.deepEqual(parse(0xf0, 0x79, 0xf7), [{ kind: 'query-firmware' }]);
  t.deepEqual(parse(0xf0, 0x6b, 0xf7), [{ kind: 'capability-query' }]);
  t.deepEqual(parse(0xf0, 0x69, 0xf7), [{ kind: 'analog-mapping-query' }]);
  t.deepEqual(parse(0xf0, 0x6d, 7, 0xf7), [{ kind: 'pin-state-query', pin: 7 }]);
  t.deepEqual(parse(0xf4, 7, 1), [{ kind: 'set-pin-mode', pin: 7, mode: 1 }]);
  t.deepEqual(parse(0xf5, 8, 1), [{ kind: 'set-digital-pin', pin: 8, value: 1 }]);
  // Pin 7 HIGH is bit 7 of port 0: it travels in the second data byte.
  t.deepEqual(parse(0x90, 0x00, 0x01), [{ kind: 'digital-port', port: 0, value: 0x80 }]);
  t.deepEqual(parse(0x91, 0x01, 0x00), [{ kind: 'digital-port', port: 1, value: 0x01 }]);
  t.deepEqual(parse(0xff), [{ kind: 'system-reset' }]);
});

test('requests split across chunks parse once complete', (t) => {
  const parser = new FirmataRequestParser();
  t.deepEqual(parser.push(Uint8Array.of(0xf4, 7)), []);
  t.deepEqual(parser.push(Uint8Array.of(1, 0xf0, 0x6b)), [
    { kind: 'set-pin-mode', pin: 7, mode: 1 },
  ]);
  t.deepEqual(parser.push(Uint8Array.of(0xf7)), [{ kind: 'capability-query' }]);
});

test('noise is dropped and the next command still parses', (t) => {
  // Stray data bytes, an unknown command byte, a command cut short by another.
  t.deepEqual(parse(0x01, 0x7f, 0xf1, 0x05, 0xf4, 7, 0xf9), [{ kind: 'report-version' }]);
  // A sysex abandoned by a command byte, then END_SYSEX with nothing open.
  t.deepEqual(parse(0xf0, 0x6b, 0xf4, 7, 1, 0xf7), [{ kind: 'set-pin-mode', pin: 7, mode: 1 }]);
});

test('an over-long sysex is dropped whole', (t) => {
  const long = Array.from({ length: MAX_SYSEX_BYTES + 10 }, () => 0x6b);
  t.deepEqual(parse(0xf0, ...long, 0xf7, 0xf9), [{ kind: 'report-version' }]);
});

test('any bytes: no throw, and every request is well formed', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (chunks) => {
      const parser = new FirmataRequestParser();
      for (const chunk of chunks) {
        for (const request of parser.push(chunk)) {
          if ('pin' in request && (request.pin < 0 || request.pin > 127)) return false;
          if (request.kind === 'digital-port' && (request.value < 0 || request.value > 0x3fff))
            return false;
        }
      }
      return true;
    }),
  );
  t.pass();
});

test('answers are 7-bit between their command bytes', (t) => {
  const report = encodeFirmwareReport('StandardFirmata.ino');
  t.is(report[0], 0xf0);
  t.is(report.at(-1), 0xf7);
  t.true(report.subarray(1, -1).every((byte) => byte < 0x80));
  const capability = encodeCapabilityResponse([
    { modes: [], analogChannel: null },
    { modes: [[1, 1]], analogChannel: null },
  ]);
  t.deepEqual([...capability], [0xf0, 0x6c, 0x7f, 1, 1, 0x7f, 0xf7]);
});
