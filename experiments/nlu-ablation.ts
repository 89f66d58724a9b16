// nlu-ablation — does fusing NLU features into the query help retrieval, and which fusion? Arms:
// model.fusion none (no NLU in the query) / late (gated sum) / cross-attention (paper-three-stage's),
// three-stage curriculum, seeds 1–2. `unir results` prints each fusion − none with the seed spread.
// Time here (MEASURED, 2 cores shared at load ≈ 10, wasm × 1 thread): 6.9 min per trial, ≈ 41 min for all 6 (before unir's SIMD kernels; ≈ 1.3 min a trial on idle cores now).
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'nlu-ablation',
  question: 'Does NLU fusion into the query improve retrieval (T2T / Q2I R@10), and is cross-attention better than late fusion?',
  base: 'paper-three-stage',
  params: { 'model.fusion': [{ id: 'none' }, { id: 'late' }, { id: 'cross-attention', heads: 4 }] },
  seeds: [1, 2],
  fixed: { ...SCALE_FIXED },
});
