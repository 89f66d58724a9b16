// alpha-sweep — how does the stage-1 text–chunk weight α trade T2I against T2T? α ∈ {0.1, 0.5, 1, 2},
// seeds 1–2, three-stage at the sweep scale (8 trials). Not run for RESULTS.md yet: 8 trials ≈ 8 × the
// measured per-trial time of staged-vs-single (see RESULTS.md "time"), ≈ 11 min here (1.3 min a trial).
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'alpha-sweep',
  question: 'How does the stage-1 text–chunk weight α trade T2I R@10 against T2T R@10?',
  base: 'paper-three-stage',
  params: { 'curriculum.stages.stage1.weights.alpha': [0.1, 0.5, 1, 2] },
  seeds: [1, 2],
  fixed: { ...SCALE_FIXED },
});
