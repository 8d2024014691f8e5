/**
 * The image script without esbuild's IIFE: its declarations at the top of
 * the script. In XS a function keeps a reference to every binding of an
 * enclosing function it uses, so in the wrapper each of the image's
 * functions carried its own list of the module-level bindings it reached;
 * at the top of a script those are the global object's properties, looked
 * up by name. Ledger 1.0.0 once loaded: 108,068 bytes of XS heap in the
 * wrapper, 90,976 without (test/xs-heap.test.ts), for about 6% more XS
 * computation a request (README, "A fixed heap"). The image's realm is its
 * own: its names go on a global object that holds nothing of the board's
 * but what the engine layer took before the image ran.
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
