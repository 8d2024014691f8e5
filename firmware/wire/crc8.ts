import { WireArgumentError } from './errors.ts';

/** CRC-8 polynomial x^8 + x^2 + x + 1 (CRC-8/SMBUS: init 0, not reflected, no final xor). */
const CRC8_POLYNOMIAL = 0x07;

const CRC8_TABLE = buildCrc8Table();

function buildCrc8Table(): Uint8Array {
  const table = new Uint8Array(256);
  for (let index = 0; index < 256; index++) {
    let crc = index;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80 ? ((crc << 1) ^ CRC8_POLYNOMIAL) & 0xff : (crc << 1) & 0xff;
    }
    table[index] = crc;
  }
  return table;
}

/** CRC-8 of `bytes[start..end)`. Check value: "123456789" gives 0xF4. */
export function crc8(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  if (start < 0 || end > bytes.length || start > end) {
    throw new WireArgumentError({ code: 'bad-range', start, end, length: bytes.length });
  }
  const table = CRC8_TABLE;
  let crc = 0;
  for (let index = start; index < end; index++) {
    crc = table[crc ^ (bytes[index] as number)] as number;
  }
  return crc;
}
