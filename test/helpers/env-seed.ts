/** A randomized test's seed: `name` from the environment (to replay a run), or a new one. */
export function envSeed(name: string): number {
  const given = process.env[name];
  if (given === undefined) return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(given);
  if (!Number.isSafeInteger(seed)) throw new Error(`${name} must be an integer, got ${given}`);
  return seed;
}
