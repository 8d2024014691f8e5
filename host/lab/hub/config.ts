/**
 * What a hub is told to wire up: cables between named endpoints. The config
 * file given to `host/lab/hub/main.ts --config` is this as JSON, e.g.
 *
 *   { "cables": [
 *       { "name": "path0", "a": "p1-path0", "b": "p2-path0", "baud": 115200 },
 *       { "name": "bus1",  "a": "p1-bus",   "b": "bus-client-1", "baud": 115200 } ],
 *     "seed": 7 }
 *
 * `seed` (optional) makes the random draws of loss, corruption and
 * duplication repeatable; without it they use Math.random.
 */
import { ENDPOINT_NAME } from '../serial/protocol.ts';

export interface CableConfig {
  /** Names the cable in the control API. */
  readonly name: string;
  /** Endpoint at one end, e.g. `p1-path0`: the name in a port path `sim:...#p1-path0`. */
  readonly a: string;
  /** Endpoint at the other end. */
  readonly b: string;
  /** Both ends must open at this rate; 8N1, so baud/10 bytes a second each way. */
  readonly baud: number;
}

export interface HubConfig {
  readonly cables: readonly CableConfig[];
  readonly seed?: number;
}

export const MAX_BAUD = 20_000_000;

/** Checks a parsed config file; throws a TypeError that says what is wrong. */
export function parseHubConfig(value: unknown): HubConfig {
  if (typeof value !== 'object' || value === null)
    throw new TypeError('hub config is not an object');
  const raw = value as Record<string, unknown>;
  if (!Array.isArray(raw.cables)) throw new TypeError('hub config: "cables" must be an array');
  const names = new Set<string>();
  const endpoints = new Set<string>();
  const cables = raw.cables.map((item: unknown, index): CableConfig => {
    const where = `hub config: cables[${index}]`;
    if (typeof item !== 'object' || item === null) throw new TypeError(`${where} is not an object`);
    const c = item as Record<string, unknown>;
    for (const key of ['name', 'a', 'b'] as const) {
      const v = c[key];
      if (typeof v !== 'string' || !ENDPOINT_NAME.test(v)) {
        throw new TypeError(`${where}.${key} must be a name of letters, digits, ".", "_" or "-"`);
      }
    }
    const { name, a, b, baud } = c as { name: string; a: string; b: string; baud: unknown };
    if (typeof baud !== 'number' || !Number.isInteger(baud) || baud < 1 || baud > MAX_BAUD) {
      throw new TypeError(`${where}.baud must be an integer from 1 to ${MAX_BAUD}`);
    }
    if (names.has(name)) throw new TypeError(`${where}: cable name "${name}" is used twice`);
    names.add(name);
    for (const endpoint of [a, b]) {
      if (endpoints.has(endpoint)) {
        throw new TypeError(`${where}: endpoint "${endpoint}" is on more than one cable end`);
      }
      endpoints.add(endpoint);
    }
    return { name, a, b, baud };
  });
  const seed = raw.seed;
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isSafeInteger(seed))) {
    throw new TypeError('hub config: "seed" must be an integer');
  }
  return seed === undefined ? { cables } : { cables, seed };
}
