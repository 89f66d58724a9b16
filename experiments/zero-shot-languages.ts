// zero-shot-languages — does the model transfer to languages it never trained on? The intended design:
// train on 6 languages (SEEN_LANGUAGES), test on the other 6, vs train on all 12; compare the unseen six.
// THE ENGINE CANNOT EXPRESS THIS YET: `data.languages` filters train, val and test alike (subsetRecords in
// src/core/train/run.ts), and `data.dataset.languages` filters at load. Missing: a train-only language
// filter, e.g. `data.trainLanguages` (subset the train split only; val/test keep data.languages). Until
// then this sweep runs what is expressible — trained-and-tested on 6 vs on 12 — which measures capacity
// sharing, not zero-shot transfer; once data.trainLanguages exists, replace the first arm by
// { 'data.trainLanguages': SEEN_LANGUAGES } with data.languages unset. 2 arms × seeds 1–2 = 4 trials,
// ≈ 4 × the measured per-trial time of staged-vs-single (see RESULTS.md "time"). Not run yet.
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED, SEEN_LANGUAGES, UNSEEN_LANGUAGES } from './sweeps/scale';

export default defineSweep({
  id: 'zero-shot-languages',
  question: 'Trained on 6 languages, how well does the model retrieve in the other 6, vs trained on all 12? (engine lacks data.trainLanguages: see header)',
  base: 'paper-three-stage',
  params: { 'data.languages': [[...SEEN_LANGUAGES], [...SEEN_LANGUAGES, ...UNSEEN_LANGUAGES]] },
  seeds: [1, 2],
  fixed: { ...SCALE_FIXED },
});
