import type { RunJson, RunTimings } from '../run/run-json';

/** The measured parts of a run's wall time; `other` is what is left of the total. */
export type TimedPart = 'data' | 'steps' | 'eval' | 'checkpoints';

const round1 = (s: number) => Math.round(s * 10) / 10;

/**
 * Splits a run's wall time into parts (run.json `timings`). `time()` charges a call to a part; a timed call inside
 * another is charged to its own part only (e.g. images decoded during an evaluation count as data, not eval).
 * Parts never overlap, so they add up to at most the wall time; `other` is the rest (backend start, model
 * creation, observers, checkpoint loading, ...). A resumed run starts from the previous process's run.json: each
 * part, and the total (= durationSec), adds this process's time to what was recorded there (none for a run.json
 * without `timings`: its whole duration is `other`).
 */
export class RunTimer {
  private readonly t0 = performance.now();
  private readonly base: number;
  /** Seconds per part and key (stage, evaluation phase; '' for none), the previous processes' included. */
  private readonly sec = new Map<TimedPart, Map<string, number>>();
  private readonly open: { excluded: number }[] = [];

  constructor(previous?: Pick<RunJson, 'durationSec' | 'timings'>) {
    this.base = previous?.durationSec ?? 0;
    const t = previous?.timings;
    if (!t) return;
    this.add('data', t.data);
    for (const [k, s] of Object.entries(t.stepsByStage)) this.add('steps', s, k);
    for (const [k, s] of Object.entries(t.evalByPhase)) this.add('eval', s, k);
    this.add('checkpoints', t.checkpoints);
  }

  /** Wall time of the run so far, in seconds (the previous processes' included). */
  elapsedSec(): number {
    return this.base + (performance.now() - this.t0) / 1000;
  }

  /** Adds seconds measured elsewhere (e.g. a training step) to a part. */
  add(part: TimedPart, sec: number, key = ''): void {
    let m = this.sec.get(part);
    if (!m) this.sec.set(part, (m = new Map()));
    m.set(key, (m.get(key) ?? 0) + sec);
  }

  /** Calls fn (sync or async) and charges its time, less that of timed calls inside it, to `part`. */
  time<T>(part: TimedPart, fn: () => T, key = ''): T {
    const frame = { start: performance.now(), excluded: 0 };
    this.open.push(frame);
    const end = () => {
      const i = this.open.lastIndexOf(frame);
      this.open.splice(i, 1);
      const ms = performance.now() - frame.start;
      this.add(part, (ms - frame.excluded) / 1000, key);
      const outer = this.open[i - 1];
      if (outer) outer.excluded += ms;
    };
    let out: T;
    try {
      out = fn();
    } catch (err) {
      end();
      throw err;
    }
    if (out instanceof Promise) return out.finally(end) as T;
    end();
    return out;
  }

  /** run.json's `timings`: every value rounded to 0.1 s; parts and `other` add up to `total`. */
  snapshot(): RunTimings {
    const keyed = (part: TimedPart) =>
      Object.fromEntries([...(this.sec.get(part) ?? [])].map(([k, s]) => [k, round1(s)]));
    const sum = (o: Record<string, number>) => round1(Object.values(o).reduce((a, b) => a + b, 0));
    const stepsByStage = keyed('steps');
    const evalByPhase = keyed('eval');
    const data = sum(keyed('data'));
    const steps = sum(stepsByStage);
    const evalSec = sum(evalByPhase);
    const checkpoints = sum(keyed('checkpoints'));
    const total = round1(this.elapsedSec());
    const other = Math.max(0, round1(total - data - steps - evalSec - checkpoints));
    return { data, steps, stepsByStage, eval: evalSec, evalByPhase, checkpoints, other, total };
  }
}
