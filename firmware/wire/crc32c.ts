import { WireArgumentError } from './errors.ts';

/** CRC-32C (Castagnoli) polynomial 0x1EDC6F41, bit-reversed for the reflected algorithm. */
const CRC32C_POLYNOMIAL_REFLECTED = 0x82f63b78;

const CRC32C_TABLE = buildCrc32cTable();

function buildCrc32cTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let index = 0; index < 256; index++) {
    let crc = index;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ CRC32C_POLYNOMIAL_REFLECTED : crc >>> 1;
    }
    table[index] = crc;
  }
  return table;
}

/**
 * CRC-32C of `bytes[start..end)`: reflected, init 0xFFFFFFFF, final xor 0xFFFFFFFF.
 * Check value: "123456789" gives 0xE3069283. Returns an unsigned 32-bit number.
 * `prior` is the CRC of bytes that come before these (0 for none), so that
 * the CRC of a concatenation is taken piece by piece, without copying.
 */
export function crc32c(
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.length,
  prior = 0,
): number {
  if (start < 0 || end > bytes.length || start > end) {
    throw new WireArgumentError({ code: 'bad-range', start, end, length: bytes.length });
  }
  const table = CRC32C_TABLE;
  let crc = (prior ^ 0xffffffff) >>> 0;
  for (let index = start; index < end; index++) {
    crc = (table[(crc ^ (bytes[index] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
