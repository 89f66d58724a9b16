// stage-monitor — what does each stage of the three-stage curriculum do to val R@10? One point (the sweep
// scale of paper-three-stage), seeds 1–3; `unir results` prints val T2I / T2T R@10 and intent accuracy after
// stage1, stage2, stage3 (mean ± std over seeds). Stage 2 trains only NLU + fusion on frozen encoders, so
// T2I should not move there. 3 trials ≈ 4 min here (1.3 min a trial). RESULTS.md's staged-vs-single section also lists val after each stage for its three-stage arm.
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'stage-monitor',
  question: 'How does val R@10 (T2I, T2T) and intent accuracy change across the three stages?',
  base: 'paper-three-stage',
  params: {},
  seeds: [1, 2, 3],
  fixed: { ...SCALE_FIXED },
});
