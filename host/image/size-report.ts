/**
 * Where an image's bytes go: the bundled script by part of the source tree,
 * esbuild's wrapper, and what the image adds around the script (header,
 * manifest, signature). The parts add up to the image's length. The ledger
 * image must fit a microcontroller's 64 KiB slot (IMAGE_BYTES_MAX).
 */
import type { Bundle } from './bundle.ts';

/** The largest image a microcontroller-class board's slot takes. */
export const IMAGE_BYTES_MAX = 64 * 1024;

export interface SizePart {
  readonly part: string;
  readonly bytes: number;
}

/** Source paths to parts, first match wins; `$1` is the first group. */
const PARTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^firmware\/wire\/(?:cbor|utf8)[^/]*$/, 'CBOR codec (firmware/wire)'],
  [/^firmware\/wire\//, 'framing and reliable channel (firmware/wire)'],
  [/^firmware\/runtime\//, 'pair runtime (firmware/runtime)'],
  [/^firmware\/apps\/([^/]+)\//, 'app: $1 (firmware/apps/$1)'],
  [/^firmware\//, 'pair loop and app API (firmware)'],
  [/(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//, 'npm package $1'],
];

function partOf(path: string): string {
  for (const [pattern, name] of PARTS) {
    const match = pattern.exec(path);
    if (match !== null) return name.replaceAll('$1', match[1] ?? '');
  }
  return 'image entry and other';
}

/** The image's bytes by part, largest first; they sum to `imageBytes`. */
export function sizeByPart(bundle: Bundle, payloadBytes: number, imageBytes: number): SizePart[] {
  const totals = new Map<string, number>();
  let attributed = 0;
  for (const [path, bytes] of Object.entries(bundle.inputBytes)) {
    const part = partOf(path);
    totals.set(part, (totals.get(part) ?? 0) + bytes);
    attributed += bytes;
  }
  totals.set("esbuild's wrapper", payloadBytes - attributed);
  totals.set('image header, manifest and signature', imageBytes - payloadBytes);
  return [...totals]
    .map(([part, bytes]) => ({ part, bytes }))
    .sort((a, b) => b.bytes - a.bytes || (a.part < b.part ? -1 : 1));
}
