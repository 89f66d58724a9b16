import { describe, expect, it } from 'vitest';
import { lrSchedule } from '../../../src/core/optim';

describe('lrSchedule', () => {
  it('warms up linearly to base, then follows a half cosine down to 0', () => {
    const lr = lrSchedule({ base: 1e-3, totalSteps: 1000 }); // warmupFraction 0.1 → W = 100
    const at = (s: number) => lr(s) / 1e-3;
    expect(at(0)).toBeCloseTo(0.01, 12);
    expect(at(49)).toBeCloseTo(0.5, 12);
    expect(at(99)).toBeCloseTo(1, 12);
    expect(at(100)).toBeCloseTo(1, 12);
    expect(at(325)).toBeCloseTo((1 + Math.SQRT1_2) / 2, 12); // a quarter of the decay: ½(1 + cos π/4)
    expect(at(550)).toBeCloseTo(0.5, 12); // half-way through the decay
    expect(at(775)).toBeCloseTo((1 - Math.SQRT1_2) / 2, 12);
    expect(at(1000)).toBeCloseTo(0, 12);
    expect(at(5000)).toBeCloseTo(0, 12);
  });

  it('decays to minRatio·base, without warmup when warmupFraction is 0', () => {
    const lr = lrSchedule({ base: 2, totalSteps: 10, warmupFraction: 0, minRatio: 0.1 });
    expect(lr(0)).toBeCloseTo(2, 12);
    expect(lr(5)).toBeCloseTo(2 * 0.55, 12);
    expect(lr(10)).toBeCloseTo(0.2, 12);
    expect(lr(11)).toBeCloseTo(0.2, 12);
    const seq = Array.from({ length: 12 }, (_, s) => lr(s));
    seq.slice(1).forEach((v, i) => expect(v).toBeLessThanOrEqual(seq[i]!));
  });

  it('names the bad option', () => {
    expect(() => lrSchedule({ base: 0, totalSteps: 10 })).toThrow(
      'lrSchedule.base: must be a finite number > 0, got 0',
    );
    expect(() => lrSchedule({ base: 1, totalSteps: 2.5 })).toThrow(
      'lrSchedule.totalSteps: must be an integer ≥ 1, got 2.5',
    );
    expect(() => lrSchedule({ base: 1, totalSteps: 10, warmupFraction: 1 })).toThrow(
      'lrSchedule.warmupFraction: must be in [0, 1), got 1',
    );
    expect(() => lrSchedule({ base: 1, totalSteps: 10, minRatio: 2 }, 'stage.joint.lr')).toThrow(
      'stage.joint.lr.minRatio: must be in [0, 1], got 2',
    );
  });
});
