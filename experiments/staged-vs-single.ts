// staged-vs-single — does the paper's three-stage curriculum beat single-stage joint training with the same
// total optimizer steps on the same data? Arms: curriculum.id three-stage vs single-stage (stage-3 loss for
// the sum of the steps: 400 each), the model of paper-three-stage at the scale of experiments/sweeps/scale.ts,
// seeds 1–3. `unir results` prints three-stage − single-stage (T2I / T2T R@10, intent accuracy, slot F1)
// overall and per language, and whether it exceeds the seed spread. Time here (measured, 2 cores, wasm × 2
// threads): 1.3 min per trial with unir's SIMD kernels (4.4 before them), ≈ 8 min for all 6.
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'staged-vs-single',
  question: 'Does three-stage training beat single-stage training with the same steps and data (T2I/T2T R@10, per language)?',
  base: 'paper-three-stage',
  params: { 'curriculum.id': ['three-stage', 'single-stage'] },
  seeds: [1, 2, 3],
  // stage weights: the plugin defaults (α 0.5, a 0.5, b 0.3 — paper-three-stage's values); the overlay names
  // stage1/stage3, which single-stage does not have.
  fixed: { ...SCALE_FIXED, 'curriculum.stages': {} },
});
