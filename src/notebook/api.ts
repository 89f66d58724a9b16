// The notebook API (import it in a cell as './src/notebook'). Every function is safe to re-run: finished
// runs are reused, plugins re-register with a warning, search engines and maps are cached per run.
export { byProfile, profile, type Profile } from './profile';
export {
  compareRuns,
  loadRun,
  registerPlugin,
  runExperiment,
  sweep,
  type ExperimentRun,
  type RunExperimentOptions,
  type SweepOptions,
  type SweepOutcome,
} from './experiments';
export { search, umap, type NotebookSearchOptions, type UmapView } from './explore';
export { show } from './show';
export { defineAugmentation } from '../core/augment/augmentation';
export { defineCurriculum } from '../core/config/curriculum';
export { defineDataset } from '../core/data/dataset';
export { defineBaseline } from '../core/eval/baseline';
export { defineMetric } from '../core/eval/metric';
export { defineIndex } from '../core/index/vector-index';
export { defineLoss } from '../core/loss/loss';
export { defineEncoder } from '../core/model/encoder';
export { defineFusion } from '../core/model/fusion';
export { defineTokenizer } from '../core/text/tokenizer';
export { defineObserver } from '../core/train/observer';
export { takeFeatures } from '../core/loss/loss';
export { Dense, l2Normalize, ParamScope } from '../core/nn';
export * as tf from '@tensorflow/tfjs-core';
export { z } from 'zod';
export { stopGradient } from '../core/loss/ops';
