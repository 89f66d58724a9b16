import { z } from 'zod';
import { defineEncoder, type TextEncoder } from '../../core/model/encoder';
import { ParamScope } from '../../core/nn/params';
import { checkWidth, describeFingerprint, textFields, towerFields } from '../../core/pretrained/config';
import { FeatureCache } from '../../core/pretrained/feature-cache';
import { modelFingerprint } from '../../core/pretrained/fingerprint';
import { loadOnnxText } from '../../core/pretrained/onnx-text';
import { progressLine } from '../../core/pretrained/progress';
import { pretrainedTextEncoder } from '../../core/pretrained/tower';

/** The one-line error of `freeze: false` on an ONNX tower. */
export const ONNX_FROZEN =
  'ONNX towers run inference only (onnxruntime has no gradients): keep freeze: true and train the head, or convert the model to tfjs (text-tfjs / image-tfjs) to unfreeze layers';

/**
 * A pretrained text encoder exported to ONNX, from a local folder (model.onnx + tokenizer.json, e.g. LaBSE,
 * multilingual-e5, a sentence-transformers or CLIP text export; see model-cards/), as a frozen text tower with a
 * trained head. Runs on onnxruntime-node's CPU provider, synchronously (why onnxruntime-node and not transformers.js:
 * src/core/pretrained/onnx-session.ts). Reads the raw texts of each batch (EncodedBatch.texts) and tokenizes them
 * with the folder's tokenizer.json; (B, T, H) outputs are pooled (mean | cls), (B, F) outputs used as they are.
 * Features are cached per text under $UNIR_CACHE_DIR/features, keyed by the folder's files and the preprocessing.
 * Config: path, file, tokenizer, maxLength, pooling, output, head, headHidden, normalize, featureDim, batchSize, cache.
 */
export const textOnnx = defineEncoder({
  id: 'text-onnx',
  modality: 'text',
  summary: 'A local ONNX text encoder (tokenizer.json + model.onnx) as a frozen tower with a trained projection head',
  configSchema: z.strictObject({
    path: z.string().default('').describe('folder holding model.onnx and tokenizer.json'),
    file: z
      .string()
      .min(1)
      .optional()
      .describe('the .onnx file, relative to path (default model.onnx, or the only .onnx there)'),
    tokenizer: z.string().min(1).optional().describe('tokenizer.json, relative to path (default tokenizer.json)'),
    freeze: z
      .boolean()
      .default(true)
      .refine((f) => f, { message: ONNX_FROZEN }),
    ...textFields,
    ...towerFields,
  }),
  async create(config, ctx): Promise<TextEncoder> {
    const where = ctx.where ?? 'text-onnx';
    const t0 = performance.now();
    const onnx = loadOnnxText(config, where); // UserErrors for a missing/bad folder, model or tokenizer
    const fp = modelFingerprint(config.path, `${where}.path`);
    checkWidth(onnx.width, config.featureDim, onnx.session.file, where);
    const cache = new FeatureCache('text-onnx', fp, onnx.preprocessing, onnx.width, { persist: config.cache });
    progressLine(
      `unir: ${where} 'text-onnx': loaded ${onnx.session.file} (${describeFingerprint(fp)}; output ${onnx.output.name}${onnx.output.pooled ? `, ${config.pooling}-pooled` : ''}, F ${onnx.width}) in ${Math.round(performance.now() - t0)} ms; ${cache.size.toLocaleString('en')} cached features`,
    );
    return pretrainedTextEncoder({
      id: 'text-onnx',
      where,
      scope: ParamScope.root(ctx.scope, ctx.seed),
      dim: ctx.dim,
      tower: { frozen: onnx, cache, batchSize: config.batchSize },
      head: config.head,
      headHidden: config.headHidden,
      normalize: config.normalize,
    });
  },
});
