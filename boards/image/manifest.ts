/**
 * The manifest: what an image is, for whom, and a fingerprint of its
 * payload. Stored as canonical JSON (canonical-json.ts) inside the signed
 * part of the image. parseManifest is strict (exact keys, canonical bytes),
 * so one manifest has exactly one byte form.
 */
import type { CheckpointModel } from '../../firmware/app.ts';
import { canonicalJson } from './canonical-json.ts';
import { ImageError } from './errors.ts';

export interface Manifest {
  /** App name, as the app declares it ("ledger"). */
  readonly app: string;
  /** Release version of the app (semver). */
  readonly version: string;
  /** The state version the app runs on. */
  readonly stateVersion: number;
  /** State versions the image can take in (its own, and the prior one when it has converters); ascending. */
  readonly readsStateVersions: readonly number[];
  /** State versions the image can hand out (its own, and the prior one for a fallback); ascending. */
  readonly writesStateVersions: readonly number[];
  /** Checkpoint model the app was built for; both processors of a pair must agree. */
  readonly checkpoint: CheckpointModel;
  /** Board targets the image is for ("sim", "linux"); a board refuses an image that does not name it. */
  readonly boards: readonly string[];
  /** Length of the payload in bytes (UTF-8). */
  readonly payloadBytes: number;
  /** SHA-256 of the payload, lowercase hex. */
  readonly payloadSha256: string;
  /** Which key signed the image: the first 8 bytes of SHA-256(raw public key), lowercase hex. */
  readonly keyId: string;
}

export const MANIFEST_KEYS = [
  'app',
  'boards',
  'checkpoint',
  'keyId',
  'payloadBytes',
  'payloadSha256',
  'readsStateVersions',
  'stateVersion',
  'version',
  'writesStateVersions',
] as const satisfies readonly (keyof Manifest)[];

/** Also a file name part (`<app>-<version>.img`), hence no slashes or spaces. */
export const APP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const VERSION_PATTERN = /^\d{1,9}\.\d{1,9}\.\d{1,9}(?:[-+][0-9A-Za-z.+-]{1,40})?$/;
export const BOARD_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const KEY_ID_HEX = /^[0-9a-f]{16}$/;
const BOARDS_MAX = 16;
const STATE_VERSIONS_MAX = 16;

export function encodeManifest(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(canonicalJson(manifestValue(manifest)));
}

/** The manifest's fields in a fixed set, so no stray property of the argument is signed. */
function manifestValue(
  manifest: Manifest,
): Record<string, string | number | readonly (string | number)[]> {
  return Object.fromEntries(MANIFEST_KEYS.map((key) => [key, manifest[key]]));
}

/** Decodes and checks manifest bytes; throws ImageError 'malformed' naming the first problem. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw malformed('the manifest is not UTF-8 JSON');
  }
  const problem = manifestProblem(value);
  if (problem !== undefined) throw malformed(`the manifest ${problem}`);
  const manifest = value as Manifest;
  if (!sameBytes(encodeManifest(manifest), bytes)) {
    throw malformed('the manifest is not in canonical form (sorted keys, no whitespace)');
  }
  return manifest;
}

/** What is wrong with a would-be manifest, or undefined if nothing is. */
export function manifestProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'is not a JSON object';
  }
  const fields = value as Record<string, unknown>;
  const keys = Object.keys(fields).sort();
  if (keys.join() !== MANIFEST_KEYS.join()) {
    return `has keys [${keys.join(', ')}], expected exactly [${MANIFEST_KEYS.join(', ')}]`;
  }
  if (!matches(fields.app, APP_NAME_PATTERN)) return 'field app is not an app name';
  if (!matches(fields.version, VERSION_PATTERN)) return 'field version is not a semver version';
  if (!isCount(fields.stateVersion)) return 'field stateVersion is not a whole number';
  for (const key of ['readsStateVersions', 'writesStateVersions'] as const) {
    const list = fields[key];
    if (!isAscendingList(list, STATE_VERSIONS_MAX, isCount)) {
      return `field ${key} is not an ascending list of 1 to ${STATE_VERSIONS_MAX} state versions`;
    }
    if (!list.includes(fields.stateVersion)) return `field ${key} leaves out stateVersion`;
  }
  if (fields.checkpoint !== 'state' && fields.checkpoint !== 'replay') {
    return "field checkpoint is not 'state' or 'replay'";
  }
  const isBoard = (item: unknown) => matches(item, BOARD_NAME_PATTERN);
  if (!isAscendingList(fields.boards, BOARDS_MAX, isBoard)) {
    return `field boards is not a sorted list of 1 to ${BOARDS_MAX} distinct board names`;
  }
  if (!isCount(fields.payloadBytes)) return 'field payloadBytes is not a whole number';
  if (!matches(fields.payloadSha256, SHA256_HEX)) return 'field payloadSha256 is not 64 hex digits';
  if (!matches(fields.keyId, KEY_ID_HEX)) return 'field keyId is not 16 hex digits';
  return undefined;
}

function malformed(what: string): ImageError {
  return new ImageError('malformed', `${what}; rebuild the image with \`tandem build\``);
}

function matches(value: unknown, pattern: RegExp): value is string {
  return typeof value === 'string' && pattern.test(value);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Strictly ascending, so each list has one order and no duplicates. */
function isAscendingList(
  value: unknown,
  max: number,
  isItem: (item: unknown) => boolean,
): value is readonly unknown[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > max) return false;
  return value.every(
    (item, index) => isItem(item) && (index === 0 || (value[index - 1] as never) < (item as never)),
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}
