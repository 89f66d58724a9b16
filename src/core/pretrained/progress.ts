/** Where progress lines go: stderr, unless a caller (tests, notebooks) sets another sink. */
let sink: (line: string) => void = (l) => void process.stderr.write(`${l}\n`);

/** Replaces the progress sink; returns the previous one. */
export function setProgressSink(s: (line: string) => void): (line: string) => void {
  const prev = sink;
  sink = s;
  return prev;
}

export const progressLine = (line: string): void => sink(line);

/**
 * Progress of one encoding pass over `total` items: a line at most every `every` ms while it runs
 * (`encoding <what>: 1,200/5,000 (24%), 153 items/s`) and a closing line with the total time and items/s.
 */
export class EncodeProgress {
  private done = 0;
  private readonly t0 = performance.now();
  private last = this.t0;

  constructor(
    private readonly what: string,
    private readonly total: number,
    private readonly every = 2000,
  ) {}

  tick(n: number): void {
    this.done += n;
    const now = performance.now();
    if (now - this.last < this.every || this.done >= this.total) return;
    this.last = now;
    const pct = Math.floor((100 * this.done) / this.total);
    progressLine(
      `unir: encoding ${this.what}: ${this.done.toLocaleString('en')}/${this.total.toLocaleString('en')} (${pct}%), ${rate(this.done, now - this.t0)} items/s`,
    );
  }

  /** The closing line; returns items/s. */
  finish(extra = ''): number {
    const ms = performance.now() - this.t0;
    const r = (1000 * this.done) / Math.max(ms, 1e-3);
    progressLine(
      `unir: encoded ${this.what}: ${this.done.toLocaleString('en')} items in ${(ms / 1000).toFixed(1)} s (${rate(this.done, ms)} items/s)${extra}`,
    );
    return r;
  }
}

const rate = (n: number, ms: number) => ((1000 * n) / Math.max(ms, 1e-3)).toFixed(0);
