// paper-three-stage — the main job: does the paper's three-stage curriculum (arXiv 2601.14714: contrastive
// image–text + α·text–chunk, then NLU + fusion on a frozen text encoder, then joint L_TI + a·L_QC + b·NLU)
// train one model that retrieves images from captions, chunks from queries across 12 languages and parses
// queries (intent + BIO slots)? Recipe scaled to this machine: a 2-layer, 128-wide model on all of
// emoji-cldr (train concepts, 12 languages), 1,450 steps of 64 examples. Val after every stage, test
// (seen concepts, unseen openmoji designs) at the end. About 5.5 minutes on 2 otherwise idle cores (measured
// 5 min 21 s, wasm × 2 threads; `--dry-run` estimates s/step): ≈ 4.5 min of steps + ≈ 40 s of evaluation +
// data load, once emoji-cldr is built (the first run builds it, ≈ 30 s, and decodes its images, ≈ 10 s).
// Busy cores slow wasm's threads far more than proportionally.
// Compare with `--set curriculum.id=single-stage` (same steps, stage-3 loss throughout).
import { defineExperiment } from '../src/core/config/experiment';

export default defineExperiment({
  id: 'paper-three-stage',
  description: "The paper's three-stage curriculum on emoji-cldr (12 languages), scaled to 2 CPU cores",
  seed: 1,
  data: {
    dataset: { id: 'emoji-cldr' },
    batchSize: 64,
    // evaluation embeds every record of a split (queries twice: with and without NLU): all of val (147
    // concepts, ≈ 20 s a pass), a fixed third of the test concepts (≈ 1 min)
    maxGroups: { test: 400 },
  },
  model: {
    dim: 128,
    tokenizer: { id: 'word-ngram', maxLength: 24 },
    text: { id: 'text-transformer', hidden: 128, layers: 2, heads: 4 },
    image: { id: 'image-vit', imageSize: 32, patchSize: 4, hidden: 128, layers: 2, heads: 4 },
    nlu: { id: 'nlu-transformer', hidden: 128, layers: 2, heads: 4 },
    fusion: { id: 'cross-attention', heads: 4 },
  },
  curriculum: {
    id: 'three-stage',
    steps: { stage1: 600, stage2: 250, stage3: 600 },
    stages: {
      stage1: { weights: { alpha: 0.5 } },
      stage3: { weights: { a: 0.5, b: 0.3 } },
    },
  },
  optimizer: { lr: 1e-3, weightDecay: 0.01, warmup: 0.1, clipNorm: 1 },
  checkpointEvery: 100,
  keepCheckpoints: 3,
  observers: [{ id: 'console-progress', every: 25 }, { id: 'history-jsonl' }],
});
