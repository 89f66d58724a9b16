// The plugin type of every kind, for the registry (see PluginTypes in src/core/registry/plugin.ts): with this,
// `registry.get('loss', id)` is a LossPlugin and `registry.create('loss', …)` a LossInstance.
import type { AugmentationPlugin } from '../core/augment/augmentation';
import type { defineCurriculum } from '../core/config/curriculum';
import type { DatasetPlugin } from '../core/data/dataset';
import type { BaselinePlugin } from '../core/eval/baseline';
import type { MetricPlugin } from '../core/eval/metric';
import type { defineIndex } from '../core/index/vector-index';
import type { LossPlugin } from '../core/loss/loss';
import type { EncoderPlugin } from '../core/model/encoder';
import type { defineFusion } from '../core/model/fusion';
import type { defineTokenizer } from '../core/text/tokenizer';
import type { defineObserver } from '../core/train/observer';

declare module '../core/registry/plugin' {
  interface PluginTypes {
    tokenizer: ReturnType<typeof defineTokenizer>;
    encoder: EncoderPlugin;
    fusion: ReturnType<typeof defineFusion>;
    loss: LossPlugin;
    curriculum: ReturnType<typeof defineCurriculum>;
    dataset: DatasetPlugin;
    metric: MetricPlugin;
    index: ReturnType<typeof defineIndex>;
    observer: ReturnType<typeof defineObserver>;
    augmentation: AugmentationPlugin;
    baseline: BaselinePlugin;
  }
}
