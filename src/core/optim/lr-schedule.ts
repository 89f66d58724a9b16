import { UserError } from '../errors';

export interface LrScheduleOptions {
  /** Peak learning rate, reached at the end of warmup. */
  base: number;
  /** Fraction of totalSteps spent warming up linearly (default 0.1); W = round(warmupFraction·totalSteps). */
  warmupFraction?: number;
  totalSteps: number;
  /** The rate decays to minRatio·base at step totalSteps (default 0). */
  minRatio?: number;
}

/** Learning rate of a 0-based step. */
export type LrSchedule = (step: number) => number;

/**
 * Linear warmup, then half-cosine decay (open_clip's cosine_lr, plus a floor):
 *   step < W:  base·(step + 1)/W            (the first step already moves: no lr = 0 step)
 *   step ≥ W:  base·(minRatio + (1 - minRatio)·½(1 + cos(π·min(1, (step - W)/(totalSteps - W)))))
 * so lr(W - 1) = lr(W) = base, lr at the middle of the decay = base·(1 + minRatio)/2, lr(≥ totalSteps) = base·minRatio.
 */
export function lrSchedule(opts: LrScheduleOptions, where = 'lrSchedule'): LrSchedule {
  const { base, totalSteps, warmupFraction = 0.1, minRatio = 0 } = opts;
  if (!(base > 0) || !Number.isFinite(base))
    throw new UserError(`${where}.base: must be a finite number > 0, got ${base}`);
  if (!Number.isInteger(totalSteps) || totalSteps < 1)
    throw new UserError(`${where}.totalSteps: must be an integer ≥ 1, got ${totalSteps}`);
  if (!(warmupFraction >= 0 && warmupFraction < 1))
    throw new UserError(`${where}.warmupFraction: must be in [0, 1), got ${warmupFraction}`);
  if (!(minRatio >= 0 && minRatio <= 1)) throw new UserError(`${where}.minRatio: must be in [0, 1], got ${minRatio}`);
  const warmup = Math.round(warmupFraction * totalSteps);
  const decaySteps = Math.max(1, totalSteps - warmup);
  return (step) => {
    if (step < warmup) return (base * (step + 1)) / warmup;
    const progress = Math.min(1, (step - warmup) / decaySteps);
    return base * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  };
}
