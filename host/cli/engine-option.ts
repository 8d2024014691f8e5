/**
 * `--engine`, for the commands that start a lab (`lab up`, `demo`): the
 * engine the boards run images in, one for both or one per board; and
 * `--xs-heap`, a fixed heap for the XS boards among them.
 */
import { Option } from 'commander';
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

export function xsHeapOption(): Option {
  return new Option(
    '--xs-heap <bytes>',
    "a fixed heap for XS boards' engines, as a microcontroller has (262144 for 256 KiB): past it the board stops, not-enough-memory",
  ).argParser(positiveInteger);
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
