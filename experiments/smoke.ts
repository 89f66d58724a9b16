// smoke — does the whole pipeline run end to end? Three-stage curriculum on a 24-concept slice of
// emoji-cldr in 3 languages, tiny model, 16×16 images: data build/load, all three stages, val after each
// stage, test at the end, checkpoints, history, metrics. Under 2 minutes on 2 cores (wasm), incl. data load
// (the first run also builds emoji-cldr, ≈ 30 s). Used by tests and CI; its numbers mean nothing.
import { defineExperiment } from '../src/core/config/experiment';

export default defineExperiment({
  id: 'smoke',
  description: 'End-to-end check of the training pipeline on a tiny slice of emoji-cldr',
  seed: 1,
  data: {
    dataset: { id: 'emoji-cldr', languages: ['en', 'de', 'ja'] },
    batchSize: 24,
    maxGroups: { train: 24, val: 12, test: 12 },
  },
  model: {
    dim: 32,
    tokenizer: { id: 'word-ngram', buckets: 4096, pieces: 6, maxLength: 16 },
    text: { id: 'text-transformer', hidden: 32, layers: 1, heads: 2 },
    image: { id: 'image-vit', imageSize: 16, patchSize: 4, hidden: 32, layers: 1, heads: 2 },
    nlu: { id: 'nlu-transformer', hidden: 32, layers: 1, heads: 2 },
    fusion: { id: 'cross-attention', heads: 2 },
  },
  curriculum: { id: 'three-stage', steps: { stage1: 40, stage2: 20, stage3: 20 } },
  optimizer: { lr: 3e-3 },
  checkpointEvery: 10,
  keepCheckpoints: 2,
  observers: [{ id: 'console-progress', every: 4 }, { id: 'history-jsonl' }],
});
