/**
 * `--engine`, for the commands that start a lab (`lab up`, `demo`): the
 * engine the boards run images in, one for both or one per board.
 */
import { Option } from 'commander';
import type { ImageEngine } from '../../boards/image-engine.ts';
import { findXsnap } from '../../boards/xs/xsnap-cache.ts';
import { imageEngines } from './option-parsers.ts';

export type BoardEngines = readonly [ImageEngine, ImageEngine];

export function engineOption(): Option {
  return new Option(
    '--engine <engine>',
    'engine the boards run images in: node, xs (Moddable XS in an xsnap worker; `npm run build:xs` first), or one per board, processor 1 first (xs,node)',
  )
    .argParser(imageEngines)
    .default(['node', 'node'], 'node');
}

/** Why these engines cannot run here (XS is not built, and how to build it), or null. */
export function enginesUnavailable(engines: BoardEngines): string | null {
  if (!engines.includes('xs')) return null;
  const xs = findXsnap();
  return xs.available ? null : xs.reason;
}
