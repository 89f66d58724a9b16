// distill-multilingual — does distilling an English teacher into the multilingual text tower help cross-lingual
// text retrieval? Arms: curriculum distill-three-stage (50 steps of distill-mse on 'translation' pairs, every
// caption and chunk in language X and its English counterpart pulled onto USE lite's embedding of the English text,
// taken out of stage 1's steps) vs three-stage at the same total steps; model.teacher = use-lite-en in both (unused
// by three-stage). Everything else is paper-three-stage at the scale of experiments/sweeps/scale.ts; seeds 1–3.
// `unir results` gives T2T R@10 per arm; the cross-lingual matrix (query in X → English chunk and back) is in each
// run's metrics.json (retrieval.t2tCross) and is tabulated by scripts/t2t-cross.ts.
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

export default defineSweep({
  id: 'distill-multilingual',
  question:
    'Does distilling the English USE-lite teacher into the multilingual text tower (50 of the 300 steps) raise cross-lingual T2T R@10 over three-stage at the same steps?',
  base: 'paper-three-stage',
  params: { 'curriculum.id': ['distill-three-stage', 'three-stage'] },
  seeds: [1, 2, 3],
  fixed: { ...SCALE_FIXED, 'model.teacher': { id: 'use-lite-en' } },
});
