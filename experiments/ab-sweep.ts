// ab-sweep — stage-3 weights: a (query–chunk InfoNCE) × b (NLU losses), grid 3 × 3 around the default (a 0.25,
// b 1: the point the previous grid, a ∈ {0.25, 0.5, 1} × b ∈ {0.1, 0.3, 1}, chose at its corner), a screen with
// seeds 1–3 (27 trials; heatmaps + T2I/T2T Pareto front in the sweep report). A screen: `unir results` picks the
// best point on val-design and compares it on test with the default. To confirm at 5 seeds, run seeds 4 and 5 of
// those two points as trials of this sweep (same run ids, same store), e.g. for a 0.1 / b 3:
//   npx unir run paper-three-stage --seed 4 --run-id ab-sweep--a=0.1-b=3--s4 --out <sweep dir> <the --set flags
//   that `npx unir sweep ab-sweep --dry-run` prints for that point>
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'ab-sweep',
  question: 'Which stage-3 weights a (L_QC) × b (NLU) give the best T2I/T2T trade-off without hurting intent accuracy?',
  base: 'paper-three-stage',
  params: {
    'curriculum.stages.stage3.weights.a': [0.1, 0.25, 0.5],
    'curriculum.stages.stage3.weights.b': [0.3, 1, 3],
  },
  seeds: [1, 2, 3],
  fixed: { ...SCALE_FIXED },
});
