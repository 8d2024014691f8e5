/**
 * The writes an update makes to an app's state, logged as it makes them: a
 * view of the state (a proxy over each object and array it reaches) that
 * records the first value of every slot it writes. The primary applies
 * every update through it, so that one that throws half way is undone
 * (applyWhole, transactions.ts). Near a full store (store-room.ts), what a
 * request changed is measured by what it touched, not by encoding the whole
 * state before and after, and a request with no room is undone slot by
 * slot, with no copy of the state made for it.
 *
 * The state must be what it encodes as: a tree of plain objects, arrays,
 * byte strings and scalars, with no object in two places (a copy
 * decoded from a checkpoint could not share it either).
 *
 * An update the view cannot follow throws through it (a frozen object, a
 * prototype changed); the caller undoes what was logged and runs it the
 * old way, on a copy.
 */

/** How many bytes `value` takes encoded. */
export type Measure = (value: unknown) => number;

/** Where a container was first reached: a slot of its parent; null for the root. */
interface Place {
  readonly parent: object;
  readonly key: PropertyKey;
}

/** An object's slots as they were before the update first wrote each. */
interface RecordWrites {
  readonly kind: 'record';
  readonly before: Map<PropertyKey, Slot>;
  /** Their values at the end, kept for redo while the state is measured as it was. */
  after: Map<PropertyKey, Slot> | null;
  /** The key order before a key was deleted (a key deleted and set again moves to the end). */
  orderBefore: string[] | null;
  orderAfter: string[] | null;
}

/** An array as it was before the update first wrote it (arrays lose items through `length`). */
interface ArrayWrites {
  readonly kind: 'array';
  readonly before: unknown[];
  after: unknown[] | null;
}

/** A byte string reached (its bytes may be written in place), as it was then. */
interface BytesWrites {
  readonly kind: 'bytes';
  readonly before: Uint8Array;
  after: Uint8Array | null;
}

type Writes = RecordWrites | ArrayWrites | BytesWrites;

interface Slot {
  /** An own enumerable property: what an encoding holds. */
  readonly present: boolean;
  readonly value: unknown;
}

/** Deepest a value set through the view is searched for views to unwrap (the codec's depth limit). */
const UNWRAP_DEPTH_MAX = 32;

export class WriteLog {
  readonly view: object;
  readonly #views = new WeakMap<object, object>();
  readonly #targets = new WeakMap<object, object>();
  readonly #places = new Map<object, Place | null>();
  readonly #writes = new Map<object, Writes>();
  readonly #handler: ProxyHandler<object>;

  constructor(root: object) {
    this.#handler = this.#makeHandler();
    this.view = this.#viewOf(root, null);
  }

  /**
   * How many bytes the writes so far add to the state's encoding (negative
   * when it shrank): the slots they touched measured after and before,
   * undoing and redoing them around the second measure. Costs the size of
   * what changed, and a key count of an object that gained or lost keys.
   */
  growth(measure: Measure): number {
    const regions = [...this.#writes].filter(([target]) => !this.#covered(target));
    let bytes = 0;
    for (const [target, writes] of regions)
      bytes += sizeOf(target, writes, measure) + headGrowth(target, writes);
    this.#keepAfter();
    this.undo();
    for (const [target, writes] of regions) bytes -= sizeOf(target, writes, measure);
    this.#redo();
    return bytes;
  }

  /** Puts every slot written back as it was: the state is as before the update. */
  undo(): void {
    for (const [target, writes] of this.#writes) {
      if (writes.kind === 'record') {
        for (const [key, slot] of writes.before) restore(target, key, slot);
        if (writes.orderBefore !== null) reorder(target, writes.orderBefore);
      } else if (writes.kind === 'array') {
        refill(target as unknown[], writes.before);
      } else {
        (target as Uint8Array).set(writes.before);
      }
    }
  }

  #keepAfter(): void {
    for (const [target, writes] of this.#writes) {
      if (writes.kind === 'record') {
        const after = new Map<PropertyKey, Slot>();
        for (const key of writes.before.keys()) after.set(key, slotOf(target, key));
        writes.after = after;
        if (writes.orderBefore !== null) writes.orderAfter = Object.keys(target);
      } else if (writes.kind === 'array') {
        writes.after = (target as unknown[]).slice();
      } else {
        writes.after = (target as Uint8Array).slice();
      }
    }
  }

  #redo(): void {
    for (const [target, writes] of this.#writes) {
      if (writes.kind === 'record') {
        for (const [key, slot] of writes.after ?? []) restore(target, key, slot);
        if (writes.orderAfter !== null) reorder(target, writes.orderAfter);
      } else if (writes.kind === 'array') {
        refill(target as unknown[], writes.after ?? []);
      } else {
        (target as Uint8Array).set(writes.after ?? []);
      }
    }
  }

  /** Whether a change inside `target` is measured already as part of a slot above it. */
  #covered(target: object): boolean {
    let place = this.#places.get(target) ?? null;
    while (place !== null) {
      const above = this.#writes.get(place.parent);
      if (above?.kind === 'array' || (above?.kind === 'record' && above.before.has(place.key)))
        return true;
      place = this.#places.get(place.parent) ?? null;
    }
    return false;
  }

  /** What the update gets for a value of the state: a view of a container, the value itself otherwise. */
  #reached(value: unknown, parent: object, key: PropertyKey): unknown {
    // Inherited values (methods, a prototype) are not the state's.
    if (typeof value !== 'object' || value === null || !Object.hasOwn(parent, key)) return value;
    if (value instanceof Uint8Array) {
      // Its bytes can be written without a trap: keep them as they are now.
      if (!this.#writes.has(value)) {
        this.#writes.set(value, { kind: 'bytes', before: value.slice(), after: null });
        this.#places.set(value, { parent, key });
      }
      return value;
    }
    return this.#viewOf(value, { parent, key });
  }

  #viewOf(target: object, place: Place | null): object {
    const known = this.#views.get(target);
    if (known !== undefined) return known;
    const view = new Proxy(target, this.#handler);
    this.#views.set(target, view);
    this.#targets.set(view, target);
    // The first place a container is reached is where it was in the state:
    // the update can move it only after reading it there.
    this.#places.set(target, place);
    return view;
  }

  /** Logs `key` of `target` before its first write. */
  #writing(target: object, key: PropertyKey, deleting: boolean): void {
    const writes = this.#writes.get(target);
    if (Array.isArray(target)) {
      if (writes === undefined)
        this.#writes.set(target, { kind: 'array', before: target.slice(), after: null });
      return;
    }
    if (writes === undefined) {
      const record: RecordWrites = {
        kind: 'record',
        before: new Map([[key, slotOf(target, key)]]),
        after: null,
        orderBefore: deleting ? Object.keys(target) : null,
        orderAfter: null,
      };
      this.#writes.set(target, record);
      return;
    }
    if (writes.kind !== 'record') return;
    if (!writes.before.has(key)) writes.before.set(key, slotOf(target, key));
    if (deleting && writes.orderBefore === null) writes.orderBefore = Object.keys(target);
  }

  /** `value` (what an update returned, or set) as the state may hold it: with no view in it, however deep. */
  unwrap(value: unknown): unknown {
    return this.#unwrapped(value);
  }

  #unwrapped(value: unknown, depth = 0): unknown {
    if (typeof value !== 'object' || value === null) return value;
    const target = this.#targets.get(value);
    if (target !== undefined) return target;
    if (value instanceof Uint8Array) return value;
    if (depth > UNWRAP_DEPTH_MAX) throw new RangeError('a value too deep for the state');
    // A new value, which may hold views of the state's values (a spread of one does).
    const fields = value as Record<PropertyKey, unknown>;
    for (const key of Object.keys(fields)) {
      const item = fields[key];
      const raw = this.#unwrapped(item, depth + 1);
      if (raw !== item) fields[key] = raw;
    }
    return value;
  }

  #makeHandler(): ProxyHandler<object> {
    return {
      get: (target, key) => this.#reached(Reflect.get(target, key), target, key),
      getOwnPropertyDescriptor: (target, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
        if (descriptor === undefined || !('value' in descriptor) || !descriptor.configurable)
          return descriptor;
        return { ...descriptor, value: this.#reached(descriptor.value, target, key) };
      },
      set: (target, key, value) => {
        const raw = this.#unwrapped(value);
        this.#writing(target, key, false);
        return Reflect.set(target, key, raw);
      },
      defineProperty: (target, key, descriptor) => {
        this.#writing(target, key, false);
        const value = 'value' in descriptor ? this.#unwrapped(descriptor.value) : undefined;
        return Reflect.defineProperty(
          target,
          key,
          'value' in descriptor ? { ...descriptor, value } : descriptor,
        );
      },
      deleteProperty: (target, key) => {
        this.#writing(target, key, true);
        return Reflect.deleteProperty(target, key);
      },
      setPrototypeOf: () => {
        throw new TypeError('the state is plain data: its prototypes do not change');
      },
      preventExtensions: () => {
        throw new TypeError('the state is plain data: it is not frozen');
      },
    };
  }
}

function slotOf(target: object, key: PropertyKey): Slot {
  const present = Object.prototype.propertyIsEnumerable.call(target, key);
  return { present, value: present ? (target as Record<PropertyKey, unknown>)[key] : undefined };
}

function restore(target: object, key: PropertyKey, slot: Slot): void {
  if (!slot.present) {
    Reflect.deleteProperty(target, key);
    return;
  }
  // A key named __proto__ is data, never a prototype.
  Reflect.defineProperty(target, key, {
    value: slot.value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** Puts `target`'s keys in `order` (those it has). */
function reorder(target: object, order: readonly string[]): void {
  const fields = target as Record<string, unknown>;
  for (const key of order) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    delete fields[key];
    restore(target, key, { present: true, value });
  }
}

function refill(target: unknown[], items: readonly unknown[]): void {
  target.length = items.length;
  for (let i = 0; i < items.length; i++) target[i] = items[i];
}

/** The bytes of what `writes` touched in `target`, as it is now. */
function sizeOf(target: object, writes: Writes, measure: Measure): number {
  if (writes.kind === 'array') return measure(target);
  if (writes.kind === 'bytes') return 0; // its length cannot change in place
  let bytes = 0;
  for (const key of writes.before.keys()) {
    if (typeof key !== 'symbol' && isPresent(target, key))
      bytes += measure(key) + measure((target as Record<string, unknown>)[key]);
  }
  return bytes;
}

/** The bytes a map's head grows by with the keys `writes` added and removed (counted only when some came or went). */
function headGrowth(target: object, writes: Writes): number {
  if (writes.kind !== 'record') return 0;
  let added = 0;
  for (const [key, slot] of writes.before) {
    if (typeof key !== 'symbol') added += Number(isPresent(target, key)) - Number(slot.present);
  }
  if (added === 0) return 0;
  const count = Object.keys(target).length;
  return headBytes(count) - headBytes(count - added);
}

function isPresent(target: object, key: PropertyKey): boolean {
  return Object.prototype.propertyIsEnumerable.call(target, key);
}

/** Bytes of a CBOR head with this count. */
function headBytes(count: number): number {
  return count < 0x18 ? 1 : count < 0x100 ? 2 : count < 0x10000 ? 3 : 5;
}
