/**
 * `--engine`, for the commands that start a lab (`lab up`, `demo`): the
 * engine the boards run images in, one for both or one per board; and
 * `--xs-heap`, a fixed heap for the XS boards among them.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { ImageEngine } from '../../boards/image-engine.ts';
import { findXsnap } from '../../boards/xs/xsnap-cache.ts';
import { imageEngines, positiveInteger } from './option-parsers.ts';

export type BoardEngines = readonly [ImageEngine, ImageEngine];

export function engineOption(): Option {
  return new Option(
    '--engine <engine>',
    'engine the boards run images in: node, xs (Moddable XS in an xsnap worker; `npm run build:xs` first), or one per board, processor 1 first (xs,node)',
  )
    .argParser(imageEngines)
    .default(['node', 'node'], 'node');
}

/** XS's built-ins and its stack take about 90 KiB before an image loads. */
const XS_HEAP_MIN_BYTES = 96 * 1024;

function xsHeapBytes(text: string): number {
  const bytes = positiveInteger(text);
  if (bytes < XS_HEAP_MIN_BYTES)
    throw new InvalidArgumentError(
      `Must be at least ${XS_HEAP_MIN_BYTES} (96 KiB): XS's built-ins and its stack take about 90 KiB before the image loads.`,
    );
  return bytes;
}

export function xsHeapOption(): Option {
  return new Option(
    '--xs-heap <bytes>',
    "a fixed heap for XS boards' engines, one region as a microcontroller's (262144 for 256 KiB): when what lives outgrows it, the board stops, not-enough-memory",
  ).argParser(xsHeapBytes);
}

/**
 * Why these engines cannot run here (XS is not built, and how to build it;
 * a fixed XS heap with no XS board), or null.
 */
export function enginesUnavailable(engines: BoardEngines, xsHeap?: number): string | null {
  if (xsHeap !== undefined && !engines.includes('xs'))
    return '--xs-heap fixes the heap of XS boards, and no board runs XS: add --engine xs (or xs,node)';
  if (!engines.includes('xs')) return null;
  const xs = findXsnap();
  return xs.available ? null : xs.reason;
}
