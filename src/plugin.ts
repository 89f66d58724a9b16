// The plugin API, for plugin modules anywhere (`import { defineLoss, tf, z } from 'unir/plugin'`): a module an
// experiment names in `plugins` (or `--plugin`) exports the plugins these helpers define; unir registers them.
// Contracts: src/core/<area>/ next to each define function; docs/adding-a-plugin.md walks through each kind.
export { defineAugmentation, type AugmentFn, type ImageBatch } from './core/augment/augmentation';
export { defineCurriculum } from './core/config/curriculum';
export { defineDataset, type Dataset } from './core/data/dataset';
export { UserError } from './core/errors';
export { defineBaseline, type BaselineInputs, type BaselineResult } from './core/eval/baseline';
export { defineMetric, type EvalInputs, type MetricEvaluator } from './core/eval/metric';
export { defineIndex, type VectorIndex } from './core/index/vector-index';
export {
  defineLoss,
  expectSameShape,
  lossVariable,
  takeFeatures,
  type FeatureKey,
  type Features,
  type LossInstance,
  type LossPlugin,
} from './core/loss/loss';
export { stopGradient } from './core/loss/ops';
export {
  defineEncoder,
  type Encoder,
  type EncoderCtx,
  type ImageEncoder,
  type NluEncoder,
  type TextEncoder,
} from './core/model/encoder';
export { defineFusion, type Fusion } from './core/model/fusion';
export { conv2d, Dense, deferBackward, globalAvgPool, l2Normalize, maxPool2, ParamScope } from './core/nn';
export { defineTokenizer, type Tokenizer } from './core/text/tokenizer';
export { defineObserver, type Observer } from './core/train/observer';
export * as tf from '@tensorflow/tfjs-core';
export { z } from 'zod';
