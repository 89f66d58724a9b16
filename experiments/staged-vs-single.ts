// staged-vs-single — does the paper's three-stage curriculum beat single-stage joint training with the same
// total optimizer steps on the same data? Arms: curriculum.id three-stage vs single-stage (stage-3 loss for
// the sum of the steps; single-stage takes the experiment's stage-3 overlay: same batch mix, 4 captions per image),
// the model and recipe of paper-three-stage at the scale of experiments/sweeps/scale.ts, seeds 1–5. `unir results`
// prints three-stage − single-stage as a paired bootstrap over test queries and seeds (95% CI, smallest detectable
// difference), overall and per language. ≈ 1–2 min a trial (scale.ts), ≈ 15 min for all 10.
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'staged-vs-single',
  question:
    'Does three-stage training beat single-stage training with the same steps and data (T2I/T2T R@10, per language)?',
  base: 'paper-three-stage',
  params: { 'curriculum.id': ['three-stage', 'single-stage'] },
  seeds: [1, 2, 3, 4, 5],
  // stage weights: paper-three-stage's overlays (α 0.5 in stage 1; a 0.25, b 1 in stage 3, which single-stage's
  // joint stage takes too; its stage-1 overlay is dropped there).
  fixed: { ...SCALE_FIXED },
});
