// stage-monitor — what does each stage of the three-stage curriculum do to validation R@10? One point (the sweep
// scale of paper-three-stage), seeds 1–5; `unir results` prints val-design T2I / T2T R@10 and intent accuracy after
// stage1, stage2, stage3 (mean ± 95% CI over seeds) — and so the paper's break condition: does T2I drop from
// stage 1 to stage 3? Stage 2 trains only NLU + fusion on frozen encoders, so T2I cannot move there.
// 5 trials ≈ 10 min (≈ 2 min a trial).
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'stage-monitor',
  question: 'How does val R@10 (T2I, T2T) and intent accuracy change across the three stages?',
  base: 'paper-three-stage',
  params: {},
  seeds: [1, 2, 3, 4, 5],
  fixed: { ...SCALE_FIXED },
});
