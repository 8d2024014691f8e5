/**
 * Events in virtual time: a binary heap ordered by time, then by insertion
 * (deterministic ties). The heap is kept as three parallel arrays (time,
 * insertion number, action) rather than an object per event: a seed
 * schedules tens of thousands of events.
 */
export class EventQueue {
  readonly #times: number[] = [];
  readonly #orders: number[] = [];
  readonly #runs: (() => void)[] = [];
  #order = 0;
  #now = 0;

  get now(): number {
    return this.#now;
  }

  get size(): number {
    return this.#runs.length;
  }

  at(time: number, run: () => void): void {
    const times = this.#times;
    const orders = this.#orders;
    const runs = this.#runs;
    const at = Math.max(time, this.#now);
    const order = this.#order++;
    // Sift up: parents later than the new event move down into the hole.
    let i = runs.length;
    times.push(at);
    orders.push(order);
    runs.push(run);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentAt = times[parent] as number;
      if (!(at < parentAt || (at === parentAt && order < (orders[parent] as number)))) break;
      times[i] = parentAt;
      orders[i] = orders[parent] as number;
      runs[i] = runs[parent] as () => void;
      i = parent;
    }
    times[i] = at;
    orders[i] = order;
    runs[i] = run;
  }

  /** Runs the earliest event if it is due by `until`; false when none is. */
  step(until: number): boolean {
    const times = this.#times;
    const orders = this.#orders;
    const runs = this.#runs;
    if (runs.length === 0 || (times[0] as number) > until) return false;
    const topAt = times[0] as number;
    const topRun = runs[0] as () => void;
    const lastAt = times.pop() as number;
    const lastOrder = orders.pop() as number;
    const lastRun = runs.pop() as () => void;
    const length = runs.length;
    if (length > 0) {
      // Sift down: the earlier child moves up into the hole until the last event fits.
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= length) break;
        const right = child + 1;
        if (
          right < length &&
          ((times[right] as number) < (times[child] as number) ||
            (times[right] === times[child] &&
              (orders[right] as number) < (orders[child] as number)))
        )
          child = right;
        const childAt = times[child] as number;
        if (!(childAt < lastAt || (childAt === lastAt && (orders[child] as number) < lastOrder)))
          break;
        times[i] = childAt;
        orders[i] = orders[child] as number;
        runs[i] = runs[child] as () => void;
        i = child;
      }
      times[i] = lastAt;
      orders[i] = lastOrder;
      runs[i] = lastRun;
    }
    this.#now = topAt;
    topRun();
    return true;
  }

  /** Moves the clock forward to `time` once no event is due before it. */
  advanceTo(time: number): void {
    while (this.step(time)) {}
    this.#now = Math.max(this.#now, time);
  }
}
