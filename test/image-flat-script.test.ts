/**
 * The image script without esbuild's wrapper (host/image/flat-script.ts):
 * the body of the IIFE, and a clear BuildError for anything else.
 */
import test from 'ava';
import { BuildError } from '../host/image/errors.ts';
import { flatScript } from '../host/image/flat-script.ts';

test("esbuild's IIFE gives its body", (t) => {
  t.is(flatScript('(()=>{var a=1;globalThis.x=a;})();\n'), 'var a=1;globalThis.x=a;');
  t.is(flatScript('(() => {\n  var a = 1;\n})();\n'), '\n  var a = 1;\n');
});

test('anything but a bare IIFE is refused', (t) => {
  for (const script of [
    'var a=1;',
    '(()=>{})();var b;',
    '((x)=>{})(1);',
    '(function(){})();',
    '(()=>1)();',
  ]) {
    const error = t.throws(() => flatScript(script), { instanceOf: BuildError });
    t.is(error?.code, 'bundle-failed', script);
  }
});
