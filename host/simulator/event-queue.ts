/** Events in virtual time: a binary heap ordered by time, then by insertion (deterministic ties). */
interface Entry {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
}

export class EventQueue {
  readonly #heap: Entry[] = [];
  #order = 0;
  #now = 0;

  get now(): number {
    return this.#now;
  }

  get size(): number {
    return this.#heap.length;
  }

  at(time: number, run: () => void): void {
    const heap = this.#heap;
    const entry: Entry = { at: Math.max(time, this.#now), order: this.#order++, run };
    // Sift up: parents later than the entry move down into the hole.
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent] as Entry;
      if (!before(entry, above)) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = entry;
  }

  /** Runs the earliest event if it is due by `until`; false when none is. */
  step(until: number): boolean {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined || top.at > until) return false;
    const last = heap.pop() as Entry;
    const length = heap.length;
    if (length > 0) {
      // Sift down: the earlier child moves up into the hole until `last` fits.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= length) break;
        let child = heap[l] as Entry;
        let m = l;
        if (l + 1 < length && before(heap[l + 1] as Entry, child)) {
          m = l + 1;
          child = heap[m] as Entry;
        }
        if (!before(child, last)) break;
        heap[i] = child;
        i = m;
      }
      heap[i] = last;
    }
    this.#now = top.at;
    top.run();
    return true;
  }

  /** Moves the clock forward to `time` once no event is due before it. */
  advanceTo(time: number): void {
    while (this.step(time)) {}
    this.#now = Math.max(this.#now, time);
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
