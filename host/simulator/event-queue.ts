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
    heap.push({ at: Math.max(time, this.#now), order: this.#order++, run });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Entry, heap[parent] as Entry)) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry, heap[i] as Entry];
      i = parent;
    }
  }

  /** Runs the earliest event if it is due by `until`; false when none is. */
  step(until: number): boolean {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined || top.at > until) return false;
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l] as Entry, heap[m] as Entry)) m = l;
        if (r < heap.length && before(heap[r] as Entry, heap[m] as Entry)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Entry, heap[i] as Entry];
        i = m;
      }
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
