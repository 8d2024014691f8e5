/**
 * The command-line options that name a resolved target again, so a tool can
 * show the CLI command that does what it just did (the dashboard's buttons).
 * The inverse of resolveTarget: resolving these options gives the same pair.
 */
import { DEFAULT_PORT_BAUD, type TargetSpec } from './resolve-target.ts';

/** A word the shell takes as it is, or the word in single quotes. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * The options as words; none where the target is found without them (the
 * TANDEM_PAIR variable, a tandem-pair.json). `bus`: add the field-bus ports
 * (only `tandem load` takes --bus).
 */
export function targetArguments(
  spec: TargetSpec,
  needs: { readonly bus?: boolean } = {},
): string[] {
  if (spec.kind === 'lab') return ['--lab', shellWord(spec.dir)];
  const { source } = spec;
  if (source.via !== 'option') return [];
  if (source.option === '--pair') return ['--pair', shellWord(spec.pairFile ?? '')];
  const [p1, p2] = spec.boards;
  const words = ['--port', shellWord(`${p1.host.path},${p2.host.path}`)];
  if (needs.bus === true && p1.bus !== undefined && p2.bus !== undefined) {
    words.push('--bus', shellWord(`${p1.bus.path},${p2.bus.path}`));
  }
  if (p1.host.baud !== DEFAULT_PORT_BAUD) words.push('--baud', String(p1.host.baud));
  return words;
}
