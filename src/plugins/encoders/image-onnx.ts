import { z } from 'zod';
import { defineEncoder, type ImageEncoder } from '../../core/model/encoder';
import { ParamScope } from '../../core/nn/params';
import { checkWidth, describeFingerprint, imageFields, towerFields } from '../../core/pretrained/config';
import { FeatureCache } from '../../core/pretrained/feature-cache';
import { modelFingerprint } from '../../core/pretrained/fingerprint';
import { loadOnnxImage } from '../../core/pretrained/onnx-image';
import { progressLine } from '../../core/pretrained/progress';
import { pretrainedImageEncoder } from '../../core/pretrained/tower';
import { ONNX_FROZEN } from './text-onnx';

/**
 * A pretrained image encoder exported to ONNX, from a local folder (model.onnx + preprocessor_config.json, e.g. a
 * CLIP or SigLIP vision tower; see model-cards/), as a frozen image tower with a trained head, on onnxruntime-node's
 * CPU provider (why not transformers.js: src/core/pretrained/onnx-session.ts). Images (B, S, S, 3) in [0, 1] are
 * resized to the model's side and normalised (mean/std from the config or preprocessor_config.json).
 * Features are cached by pixel content under $UNIR_CACHE_DIR/features: evaluation images and training images seen
 * twice are kept; a training image seen once (augmented, most likely) is computed and dropped.
 * Config: path, file, imageSize, inputSize, mean, std, output, head, headHidden, normalize, featureDim, batchSize, cache.
 */
export const imageOnnx = defineEncoder({
  id: 'image-onnx',
  modality: 'image',
  summary:
    'A local ONNX image encoder (model.onnx + preprocessor_config.json) as a frozen tower with a trained projection head',
  configSchema: z.strictObject({
    path: z.string().default('').describe('folder holding model.onnx (and preprocessor_config.json)'),
    file: z
      .string()
      .min(1)
      .optional()
      .describe('the .onnx file, relative to path (default model.onnx, or the only .onnx there)'),
    freeze: z
      .boolean()
      .default(true)
      .refine((f) => f, { message: ONNX_FROZEN }),
    ...imageFields,
    ...towerFields,
  }),
  async create(config, ctx): Promise<ImageEncoder> {
    const where = ctx.where ?? 'image-onnx';
    const t0 = performance.now();
    const onnx = loadOnnxImage(config, where); // UserErrors for a missing/bad folder or model
    const fp = modelFingerprint(config.path, `${where}.path`);
    checkWidth(onnx.width, config.featureDim, onnx.session.file, where);
    const cache = new FeatureCache(
      'image-onnx',
      fp,
      { ...onnx.preprocessing, imageSize: config.imageSize },
      onnx.width,
      { persist: config.cache },
    );
    progressLine(
      `unir: ${where} 'image-onnx': loaded ${onnx.session.file} (${describeFingerprint(fp)}; ${onnx.preprocessing.inputSize}×${onnx.preprocessing.inputSize} ${onnx.preprocessing.layout.toUpperCase()}, output ${onnx.output}, F ${onnx.width}) in ${Math.round(performance.now() - t0)} ms; ${cache.size.toLocaleString('en')} cached features`,
    );
    return pretrainedImageEncoder({
      id: 'image-onnx',
      where,
      scope: ParamScope.root(ctx.scope, ctx.seed),
      dim: ctx.dim,
      imageSize: config.imageSize,
      tower: { frozen: onnx, cache, batchSize: config.batchSize },
      head: config.head,
      headHidden: config.headHidden,
      normalize: config.normalize,
    });
  },
});
