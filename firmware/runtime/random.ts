/**
 * A small seeded generator (mulberry32). Handlers get their randomness from
 * here so that a backup replaying a request draws the same numbers.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit integer drawn from a generator. */
export function nextSeed(random: () => number): number {
  return Math.floor(random() * 4294967296) >>> 0;
}
