/**
 * Actions as they come from the page (JSON in a POST): checked into a
 * FeedAction, or refused with a code and a hint; nothing runs on bad input.
 */
import type { FeedAction, FeedCapabilities } from './pair-feed.ts';

export class BadActionError extends Error {
  readonly badAction = true;
  override name = 'BadActionError';
  constructor(
    readonly code: 'bad-json' | 'unknown-action' | 'bad-field' | 'unsupported',
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const HINT =
  'send {"kind":"power","processor":1,"on":false}, {"kind":"cable","path":0,"cut":true}, {"kind":"push","version":"2.0.0"}, {"kind":"switch","direction":"switch"|"fallback"} or {"kind":"load","run":true}';

export function parseAction(body: string, capabilities: FeedCapabilities): FeedAction {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new BadActionError('bad-json', 'the action is not JSON', HINT);
  }
  if (typeof value !== 'object' || value === null) {
    throw new BadActionError('bad-json', 'the action is not an object', HINT);
  }
  const a = value as Record<string, unknown>;
  const field = (name: string, ok: boolean) => {
    if (!ok)
      throw new BadActionError('bad-field', `${String(a.kind)}: bad or missing ${name}`, HINT);
  };
  const unsupported = (what: string) =>
    new BadActionError(
      'unsupported',
      `this target cannot ${what}`,
      'see the capabilities the page was sent',
    );
  switch (a.kind) {
    case 'power':
      field('processor', a.processor === 1 || a.processor === 2);
      field('on', typeof a.on === 'boolean');
      if (!capabilities.power) throw unsupported('switch power');
      return { kind: 'power', processor: a.processor as 1 | 2, on: a.on as boolean };
    case 'cable':
      if (capabilities.cables === 0) throw unsupported('cut or restore cables');
      field(
        'path',
        typeof a.path === 'number' &&
          Number.isInteger(a.path) &&
          a.path >= 0 &&
          a.path < capabilities.cables,
      );
      field('cut', typeof a.cut === 'boolean');
      return { kind: 'cable', path: a.path as number, cut: a.cut as boolean };
    case 'push':
      field(
        'version',
        typeof a.version === 'string' && capabilities.pushVersions.includes(a.version),
      );
      return { kind: 'push', version: a.version as string };
    case 'switch':
      field('direction', a.direction === 'switch' || a.direction === 'fallback');
      return { kind: 'switch', direction: a.direction as 'switch' | 'fallback' };
    case 'load':
      field('run', typeof a.run === 'boolean');
      if (!capabilities.load) throw unsupported('start or stop load (someone else runs it)');
      return { kind: 'load', run: a.run as boolean };
    default:
      throw new BadActionError('unknown-action', `no action ${String(a.kind)}`, HINT);
  }
}
