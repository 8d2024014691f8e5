/**
 * Runs a verified image in a fresh JavaScript context that holds nothing but
 * the language itself and text codecs: the image reaches the board only
 * through the HAL it is handed.
 */
import { createContext, runInContext } from 'node:vm';
import type { AnyApp } from '../../firmware/app.ts';
import type { Hal } from '../../firmware/hal.ts';
import type { PairHandle } from '../../firmware/pair-main.ts';

/** What an image bundle leaves on its global object. */
interface ImageExports {
  readonly app: AnyApp;
  readonly runPair: (
    app: AnyApp,
    hal: Hal,
    overrides: Record<string, number | boolean>,
  ) => PairHandle;
}

export class ImageStartError extends Error {
  readonly imageStart = true;
  override name = 'ImageStartError';
}

export function runImage(
  payload: string,
  hal: Hal,
  overrides: Record<string, number | boolean>,
): PairHandle {
  const context = createContext({ TextEncoder, TextDecoder });
  runInContext(payload, context, { filename: 'image.js' });
  const exports = (context as { tandemImage?: ImageExports }).tandemImage;
  if (exports === undefined || typeof exports.runPair !== 'function' || exports.app === undefined) {
    throw new ImageStartError('the image does not define tandemImage.app and tandemImage.runPair');
  }
  return exports.runPair(exports.app, hal, overrides);
}
