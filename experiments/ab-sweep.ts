// ab-sweep — stage-3 weights: a (query–chunk InfoNCE) × b (NLU losses), grid 3 × 3, seed 1 (9 trials,
// heatmaps + T2I/T2T Pareto front in the sweep report). Not run for RESULTS.md yet: ≈ 9 × the measured
// per-trial time of staged-vs-single (see RESULTS.md "time"), ≈ 12 min here (1.3 min a trial).
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
  seeds: [1],
  fixed: { ...SCALE_FIXED },
});
