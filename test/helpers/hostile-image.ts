/**
 * Hostile image scripts for the sandbox escape tests. Each is a plain script
 * (sloppy mode, as a bundle is) that sets `tandemImage` like a real image
 * and tries to leave its context. `probe(route, value)` walks a value's
 * prototype chain and own properties: any `constructor.constructor` that is
 * not one of the context's own function constructors is the board's realm
 * (noted `FOREIGN route`), and is then used to compile `return process`; a
 * `process` reached writes the target file and is noted `ESCAPED route`.
 * Notes go to `hal.log` (buffered until the image has its HAL); `probed
 * route` lines show that an attempt ran at all.
 */

/** The script: the probe preamble, then `body`, which sets `tandemImage`. */
export function hostileScript(target: string, body: string): string {
  return `
var TARGET = ${JSON.stringify(target)};
var realmFunctions = [Function, (async function () {}).constructor,
  (function* () {}).constructor, (async function* () {}).constructor];
var pending = [];
var halLog = null;
function note(line) { if (halLog) halLog(line); else pending.push(line); }
function useHal(hal) {
  halLog = function (line) { hal.log(line); };
  for (var i = 0; i < pending.length; i++) halLog(pending[i]);
  pending = [];
}
function isRealmFunction(F) {
  for (var i = 0; i < realmFunctions.length; i++) if (realmFunctions[i] === F) return true;
  return false;
}
function reached(route, p) {
  note('ESCAPED ' + route);
  try { p.getBuiltinModule('fs').writeFileSync(TARGET, route); } catch (e) {}
}
function tryForeign(route, F) {
  note('FOREIGN ' + route);
  try {
    var p = F('return process')();
    if (p && typeof p === 'object' && typeof p.pid === 'number') reached(route, p);
  } catch (e) {}
}
function probe(route, value, depth) {
  depth = depth || 0;
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return;
  if (depth === 0) note('probed ' + route);
  var link = value;
  for (var hops = 0; link !== null && link !== undefined && hops < 16; hops++) {
    var ctor;
    try { ctor = link.constructor; } catch (e) { ctor = undefined; }
    if (typeof ctor === 'function') {
      var F;
      try { F = ctor.constructor; } catch (e) { F = undefined; }
      if (typeof F === 'function' && !isRealmFunction(F)) { tryForeign(route, F); return; }
    }
    var proto;
    try { proto = link.__proto__; } catch (e) { proto = null; }
    link = proto;
  }
  if (depth >= 3) return;
  var keys;
  try { keys = Reflect.ownKeys(value); } catch (e) { return; }
  for (var k = 0; k < keys.length; k++) {
    var d;
    try { d = Reflect.getOwnPropertyDescriptor(value, keys[k]); } catch (e) { continue; }
    if (!d) continue;
    if ('value' in d) probe(route + '.' + String(keys[k]), d.value, depth + 1);
    if (d.get) probe(route + '.get ' + String(keys[k]), d.get, depth + 1);
  }
}
function callers(route, fn) {
  var f = fn;
  for (var i = 0; i < 12; i++) {
    try { f = f.caller; } catch (e) { return; }
    if (!f) return;
    probe(route + ' caller ' + i, f);
  }
}
function pairHandle() {
  return { status: function () { return { role: 'booting' }; }, state: function () { return {}; },
    switchToOther: function () { return null; }, otherImageChanged: function () {} };
}
${body}
`;
}

/** The classic ways out through the globals: `this`, every global, and two constructors' constructors. */
export const THROUGH_THE_GLOBALS = `
probe('this', this);
var names = Object.getOwnPropertyNames(globalThis);
for (var i = 0; i < names.length; i++) { try { probe('global ' + names[i], globalThis[names[i]]); } catch (e) {} }
try { var p = TextEncoder.constructor('return process')(); if (p) reached('TextEncoder.constructor', p); }
catch (e) { probe('TextEncoder.constructor error', e); }
try { var q = this.constructor.constructor('return process')(); if (q) reached('this.constructor.constructor', q); }
catch (e) { probe('this.constructor.constructor error', e); }
`;
