/**
 * One line at the foot of a terminal that keeps changing (a live counter)
 * while narration scrolls above it. Off the terminal it prints nothing, so
 * logs and pipes get the narration alone.
 */
export class LiveLine {
  #text = '';
  #timer: NodeJS.Timeout | null = null;

  constructor(readonly stream: NodeJS.WriteStream) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  /** Redraws the line from `text()` every `periodMs` until `stop`. */
  start(text: () => string, periodMs: number): void {
    if (!this.enabled) return;
    this.#timer = setInterval(() => {
      this.#text = text();
      this.stream.write(`\r\u001b[K${this.#text}`);
    }, periodMs);
  }

  /** Prints a narration line above the live line. */
  print(line: string): void {
    if (this.#text === '') {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`\r\u001b[K${line}\n${this.#text}`);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#text !== '') this.stream.write('\r\u001b[K');
    this.#text = '';
  }
}
