import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunTimer } from '../../../src/core/train/timings';

afterEach(() => vi.useRealTimers());

describe('RunTimer', () => {
  it('charges nested calls to their own part only, adds up to the total and continues a resumed run', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const t = new RunTimer();
    vi.advanceTimersByTime(1000); // not timed: other
    t.time('data', () => vi.advanceTimersByTime(2000));
    t.add('steps', 3, 'stage1');
    vi.advanceTimersByTime(3000);
    await t.time(
      'eval',
      async () => {
        vi.advanceTimersByTime(500);
        await t.time('data', async () => vi.advanceTimersByTime(1500)); // images decoded for the evaluation
      },
      'final',
    );
    const full = () => {
      vi.advanceTimersByTime(250);
      throw new Error('disk full');
    };
    expect(() => t.time('checkpoints', full)).toThrow('disk full'); // a failed call is charged too
    const s = t.snapshot();
    expect(s).toEqual({
      data: 3.5,
      steps: 3,
      stepsByStage: { stage1: 3 },
      eval: 0.5,
      evalByPhase: { final: 0.5 },
      checkpoints: 0.3,
      other: 1,
      total: 8.3,
    });
    const resumed = new RunTimer({ durationSec: s.total, timings: s });
    resumed.add('steps', 2, 'stage2');
    vi.advanceTimersByTime(2500);
    expect(resumed.snapshot()).toMatchObject({
      steps: 5,
      stepsByStage: { stage1: 3, stage2: 2 },
      other: 1.5,
      total: 10.8,
    });
    // a run.json from before `timings`: its duration is all other
    expect(new RunTimer({ durationSec: 4 }).snapshot()).toMatchObject({ data: 0, steps: 0, other: 4, total: 4 });
  });
});
