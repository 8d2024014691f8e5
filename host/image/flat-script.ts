/**
 * The image script without esbuild's IIFE: its declarations at the top of
 * the script. In XS a function keeps a reference to every binding of an
 * enclosing function it uses, so the wrapper made each of the image's
 * functions carry its own list of the module-level bindings it reaches;
 * at the top of a script those are the global object's properties, looked
 * up by name. For ledger 1.0.0 that is 17 KB less heap once the image is
 * loaded, and the load runs 167 stack slots shallower (a 32-bit XS,
 * `node --import tsx test/bench/engines.ts xs`; see the README, "A fixed
 * heap"). The image's realm is its own: its names go on a global object
 * that holds nothing else of the board's but what the engine captured
 * before the image ran.
 */
import { parse } from 'acorn';
import { BuildError } from './errors.ts';

/** `(()=>{BODY})();` as esbuild writes an IIFE with no parameters: BODY. */
export function flatScript(script: string): string {
  const program = parse(script, { ecmaVersion: 2022, sourceType: 'script' });
  const [statement, ...rest] = program.body;
  const call = statement?.type === 'ExpressionStatement' ? statement.expression : null;
  const wrapper = call?.type === 'CallExpression' ? call.callee : null;
  if (
    rest.length > 0 ||
    call?.type !== 'CallExpression' ||
    call.arguments.length > 0 ||
    wrapper?.type !== 'ArrowFunctionExpression' ||
    wrapper.params.length > 0 ||
    wrapper.body.type !== 'BlockStatement'
  ) {
    throw new BuildError('bundle-failed', "esbuild's IIFE did not have the expected shape");
  }
  return script.slice(wrapper.body.start + 1, wrapper.body.end - 1);
}
