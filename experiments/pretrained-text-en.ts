// pretrained-text-en — with English data only, does a pretrained text tower beat the from-scratch one? Arms:
// model.text = use-lite-en (Universal Sentence Encoder lite from npm, frozen: of the text side only a linear head to D
// trains) vs the text-transformer of paper-three-stage (1 layer, 128 wide, trained from scratch); everything else is
// paper-three-stage's model and recipe at the scale of experiments/sweeps/scale.ts, with every split in English
// (data.dataset.languages ['en']), the same steps for both arms, seeds 1–3. `unir results` gives T2I and T2T R@10 per
// arm (T2T: English queries → English chunks). The frozen tower's features are computed once (the first use-lite-en
// trial prints items/s) and read from $UNIR_CACHE_DIR/features by every later trial and run.
import { defineSweep } from '../src/core/sweep/sweep';
import { SCALE_FIXED } from './sweeps/scale';

/** The pretrained arm: USE lite, frozen, with a linear head to model.dim (the plugin's defaults). */
export const USE_TOWER = { id: 'use-lite-en' } as const;
/** The from-scratch arm: paper-three-stage's own text tower. */
export const SCRATCH_TOWER = { id: 'text-transformer', hidden: 128, layers: 1, heads: 4 } as const;

export default defineSweep({
  id: 'pretrained-text-en',
  question:
    'English only: does the frozen pretrained USE-lite text tower (a trained linear head) beat the from-scratch text transformer at the same steps (T2I / T2T R@10)?',
  base: 'paper-three-stage',
  params: { 'model.text': [USE_TOWER, SCRATCH_TOWER] },
  seeds: [1, 2, 3],
  fixed: { ...SCALE_FIXED, 'data.dataset.languages': ['en'] },
});
