/**
 * An image's script compiled with every function in it, as XS compiles a
 * module before it runs it. V8 compiles a function at its first call, and a
 * backup first calls the primary's request path when it takes over: in the
 * lab that compiling was about 1 ms of each takeover, with the held
 * requests' replies waiting behind it. It costs the ledger's image about
 * 3.5 ms more at boot and about 200 KB of bytecode.
 */
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

export function compileWhole(source: string, filename: string): Script {
  // V8 reads the flag as it parses: eager for this script, lazy again after.
  setFlagsFromString('--no-lazy');
  try {
    return new Script(source, { filename });
  } finally {
    setFlagsFromString('--lazy');
  }
}
