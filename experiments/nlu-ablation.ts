// nlu-ablation — does fusing NLU features into the query help retrieval, and which fusion? Arms:
// model.fusion none (no NLU in the query) / late (gated sum) / cross-attention (paper-three-stage's),
// three-stage curriculum, seeds 1–5. `unir results` prints each fusion − none (paired bootstrap), also on the
// test queries phrased with held-out templates (t2t / intent / slot F1 "(held-out)"), which is where the answer is
// read: seen-template queries are the training templates. ≈ 2 min a trial (scale.ts), ≈ 30 min for all 15.
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'nlu-ablation',
  question:
    'Does NLU fusion into the query improve retrieval (T2T / Q2I R@10), and is cross-attention better than late fusion?',
  base: 'paper-three-stage',
  params: { 'model.fusion': [{ id: 'none' }, { id: 'late' }, { id: 'cross-attention', heads: 4 }] },
  seeds: [1, 2, 3, 4, 5],
  fixed: { ...SCALE_FIXED },
});
