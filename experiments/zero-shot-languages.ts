// zero-shot-languages — does the model transfer to languages it never trained on? Arms: train on 6
// languages (SEEN_LANGUAGES: data.trainLanguages) vs train on all 12; both are evaluated on all 12, so the
// per-language table of `unir results` shows, for the 6 unseen languages (it, pl, ja, ko, hi, th), how much
// retrieval is lost without their training data. The images and the other languages' captions of every
// concept are still seen in training; what is zero-shot is the language of the query/caption.
// 2 arms × seeds 1–5 = 10 trials at the scale of experiments/sweeps/scale.ts (≈ 2 min a trial).
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED, SEEN_LANGUAGES, UNSEEN_LANGUAGES } from './sweeps/scale';

export default defineSweep({
  id: 'zero-shot-languages',
  question:
    'Trained on 6 languages, how well does the model retrieve in the other 6, compared with training on all 12?',
  base: 'paper-three-stage',
  params: { 'data.trainLanguages': [[...SEEN_LANGUAGES], [...SEEN_LANGUAGES, ...UNSEEN_LANGUAGES]] },
  seeds: [1, 2, 3, 4, 5],
  fixed: { ...SCALE_FIXED },
});
