// ab-sweep — stage-3 weights: a (query–chunk InfoNCE) × b (NLU losses), grid 3 × 3, a screen with seeds 1–3
// (27 trials ≈ 55 min; heatmaps + T2I/T2T Pareto front in the sweep report). A screen: pick the best point on
// val-design, then confirm it against the default (a 0.5, b 0.3) with a two-arm copy of this file at seeds 1–5.
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'ab-sweep',
  question: 'Which stage-3 weights a (L_QC) × b (NLU) give the best T2I/T2T trade-off without hurting intent accuracy?',
  base: 'paper-three-stage',
  params: {
    'curriculum.stages.stage3.weights.a': [0.25, 0.5, 1],
    'curriculum.stages.stage3.weights.b': [0.1, 0.3, 1],
  },
  seeds: [1, 2, 3],
  fixed: { ...SCALE_FIXED },
});
