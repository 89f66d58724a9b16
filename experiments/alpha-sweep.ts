// alpha-sweep — how does the stage-1 text–chunk weight α trade T2I against T2T? α ∈ {0.1, 0.5, 1, 2}, a screen
// with seeds 1–3 at the sweep scale (12 trials ≈ 24 min). A screen, not a finding: pick the best arm on val-design
// (stage3 val-design T2I R@10 in the run store, never test), then confirm it against the default (α = 0.5) with a
// sweep of those two arms and seeds 1–5 (a copy of this file with the two values and seeds [1, 2, 3, 4, 5]).
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'alpha-sweep',
  question: 'How does the stage-1 text–chunk weight α trade T2I R@10 against T2T R@10?',
  base: 'paper-three-stage',
  params: { 'curriculum.stages.stage1.weights.alpha': [0.1, 0.5, 1, 2] },
  seeds: [1, 2, 3],
  fixed: { ...SCALE_FIXED },
});
