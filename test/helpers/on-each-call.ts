/**
 * Watches a method of a class for one test: `seen` gets what each call of
 * `proto[name]` returned (on any instance), and the method is put back when
 * the test ends.
 */
export function onEachCall<R>(
  t: { teardown(fn: () => void): void },
  proto: object,
  name: string,
  seen: (result: R) => void,
): void {
  const methods = proto as Record<string, (...args: unknown[]) => unknown>;
  const original = methods[name];
  if (original === undefined) throw new Error(`no ${name} to watch`);
  methods[name] = function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args) as R;
    seen(result);
    return result;
  };
  t.teardown(() => {
    methods[name] = original;
  });
}
