/**
 * The image build makes the firmware's private members plain properties
 * (host/image/plain-private-members.ts): a program means the same before and
 * after, no two classes' members meet on one object, `#name in object` is
 * refused, and the built images carry no private name and no unshortened one.
 */
import { runInNewContext } from 'node:vm';
import test from 'ava';
import { resolveApp } from '../host/image/app-registry.ts';
import { bundleApp } from '../host/image/bundle.ts';
import { PRIVATE_MEMBER_PREFIX, withPlainMembers } from '../host/image/plain-private-members.ts';

/** Fields, methods, accessors, statics, optional chains, arrows and nested and derived classes. */
const PROGRAM = `
class Base {
  #count = 1;
  static #made = 0;
  constructor() { Base.#made++; }
  #bump(by) { this.#count += by; return this.#count; }
  get #twice() { return this.#count * 2; }
  run(other) {
    const inner = class { #count = 100; read() { return this.#count; } };
    const add = (n) => this.#bump(n);
    return [add(2), this.#twice, other?.#count, new inner().read(), Base.#made];
  }
  static made() { return Base.#made; }
}
class Derived extends Base {
  #count = 50;
  mine() { return this.#count; }
}
const d = new Derived();
const b = new Base();
[b.run(d), d.mine(), d.run(null), Base.made(), Object.keys(b).length >= 0];
`;

test('a program means the same with its private members made plain', (t) => {
  const before = runInNewContext(PROGRAM);
  const plain = withPlainMembers(PROGRAM, 'firmware/example.ts');
  t.false(/#\w/.test(plain), plain);
  t.deepEqual(runInNewContext(plain), before);
});

test('members of a base class and a derived class keep apart on one object', (t) => {
  const plain = withPlainMembers(PROGRAM, 'firmware/example.ts');
  const names = new Set(plain.match(/\$private\$[\w$]*count/g));
  t.is(names.size, 3, [...names].join(', ')); // Base's, Derived's, the inner class's
});

test('#name in object is refused, naming where', (t) => {
  const error = t.throws(() =>
    withPlainMembers('class A { #x; static is(o) { return #x in o; } }', 'firmware/a.ts'),
  );
  t.regex(error?.message ?? '', /#name in object.*offset \d+/);
});

test('the ledger images carry no private name and none left unshortened', async (t) => {
  for (const version of ['1.0.0', '2.0.0']) {
    const { script } = await bundleApp(await resolveApp('ledger', version), 'state');
    t.false(/#[A-Za-z_$]/.test(script), `ledger ${version} has a private name`);
    t.false(script.includes(PRIVATE_MEMBER_PREFIX), `ledger ${version} has a long member name`);
  }
});
