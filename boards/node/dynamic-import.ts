/**
 * Finds `import(` in a script. In a `node:vm` context, `import()` goes to
 * Node's module loader, which rejects it with an error of the board process
 * (or, given a loader, loads real modules): either hands the image the host.
 * No context option turns it off in Node 20, so the sandbox refuses any
 * image whose script contains one; with code generation from strings off in
 * the context, the script's text is all the code an image can ever run.
 *
 * The check reads text, not tokens, and errs on the side of refusing: the
 * keyword cannot be written with escapes, so every `import(` call has the
 * six letters literally, followed by nothing but white space and comments
 * before its parenthesis. A string, comment or regular expression that
 * happens to hold `import(` is refused too; member calls such as
 * `x.import(` and identifiers such as `reimport(` are not.
 */

/** Index of the first possible `import(` call in `script`, or -1. */
export function dynamicImportAt(script: string): number {
  const word = /import/g;
  for (let match = word.exec(script); match !== null; match = word.exec(script)) {
    const at = match.index;
    const before = script[at - 1] ?? '';
    // Part of a longer identifier (or a number, which may not touch one).
    if (IDENTIFIER_PART.test(before)) continue;
    // A member access `x.import` or `x?.import`, but not a spread `...import(`.
    if (before === '.' && script[at - 2] !== '.') continue;
    const after = at + 'import'.length;
    if (IDENTIFIER_PART.test(script[after] ?? '')) continue;
    if (script[skipSpaceAndComments(script, after)] === '(') return at;
  }
  return -1;
}

const IDENTIFIER_PART = /^[\w$]$/;
const LINE_END = /[\n\r\u2028\u2029]/g;

/** The index of the first character at or after `from` that is not white space or a comment. */
function skipSpaceAndComments(script: string, from: number): number {
  let at = from;
  for (;;) {
    const char = script[at];
    if (char === undefined) return at;
    if (/\s/.test(char)) {
      at += 1;
    } else if (script.startsWith('/*', at)) {
      const end = script.indexOf('*/', at + 2);
      if (end < 0) return script.length;
      at = end + 2;
    } else if (
      script.startsWith('//', at) ||
      script.startsWith('<!--', at) ||
      script.startsWith('-->', at)
    ) {
      // Line comments, and the HTML-like comments scripts allow (Annex B).
      LINE_END.lastIndex = at;
      const end = LINE_END.exec(script);
      if (end === null) return script.length;
      at = end.index;
    } else {
      return at;
    }
  }
}
