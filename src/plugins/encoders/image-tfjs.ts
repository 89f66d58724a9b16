import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { UserError } from '../../core/errors';
import { defineEncoder, type ImageEncoder } from '../../core/model/encoder';
import { ParamScope } from '../../core/nn/params';
import { checkWidth, describeFingerprint, towerFields } from '../../core/pretrained/config';
import { FeatureCache } from '../../core/pretrained/feature-cache';
import { modelFingerprint } from '../../core/pretrained/fingerprint';
import { progressLine } from '../../core/pretrained/progress';
import { asTower, loadTfjsModel } from '../../core/pretrained/tfjs-tower';
import { pretrainedImageEncoder } from '../../core/pretrained/tower';
import { FreezeSchema } from './text-tfjs';

/**
 * A pretrained image encoder saved as a tfjs model (layers or graph model.json + weights, e.g. a MobileNet or a
 * converted ViT) in a local folder, as an image tower with a trained head. Images (B, S, S, 3) in [0, 1] are resized
 * to the model's input side (its input shape, else inputSize), scaled to inputRange and normalised with mean/std when
 * given; outputs of rank > 2 are averaged over their middle axes. A 2-D input (B, S·S·3) gets the flattened image.
 * freeze: true (default) caches features by pixel content (a training image seen once — augmented — is not kept);
 * false or k (layers models) unfreezes all or the last k layers with weights, which then train every step.
 * Relation: tfjs-graph is the older, uncached form of the same idea (projection only, no head options).
 */
export const imageTfjs = defineEncoder({
  id: 'image-tfjs',
  modality: 'image',
  summary:
    'A local tfjs image model (layers or graph) as an image tower: frozen and cached, or partly unfrozen, with a trained head',
  configSchema: z.strictObject({
    path: z.string().default('').describe('folder holding model.json and its weight files'),
    freeze: FreezeSchema,
    imageSize: z.number().int().min(2).default(32).describe('S of the images the data gives (data.imageSize)'),
    inputSize: z
      .number()
      .int()
      .min(2)
      .optional()
      .describe('side the model takes when its input shape does not fix it (default: S)'),
    inputRange: z
      .enum(['unit', 'signed', 'bytes'])
      .default('unit')
      .describe('pixel range the model expects: [0, 1], [-1, 1] or [0, 255]'),
    mean: z
      .array(z.number())
      .length(3)
      .optional()
      .describe('per-channel mean subtracted after scaling (default: none)'),
    std: z.array(z.number()).length(3).optional().describe('per-channel std divided by after the mean (default: none)'),
    ...towerFields,
  }),
  async create(config, ctx): Promise<ImageEncoder> {
    const where = ctx.where ?? 'image-tfjs';
    const t0 = performance.now();
    const scope = ParamScope.root(ctx.scope, ctx.seed);
    const model = await loadTfjsModel(config.path, config.freeze, scope, where);
    try {
      const S = config.imageSize;
      const shape = model.inputs[0]!.shape;
      if (model.inputs.length !== 1 || !(shape.length === 4 || shape.length === 2)) {
        throw new UserError(
          `${where}.path: ${model.file} takes inputs ${model.inputs.map((i) => `${i.name} [${i.shape.map(String)}]`).join(', ')}; an image tower feeds one (B, h, w, 3) or (B, h·w·3) input`,
        );
      }
      const side = shape.length === 4 ? (shape[1] ?? config.inputSize ?? S) : S;
      if (shape.length === 2 && shape[1] !== null && shape[1] !== S * S * 3)
        throw new UserError(
          `${where}.imageSize: ${model.file} takes flat inputs of ${shape[1]} values, not ${S}×${S}×3; set imageSize to match`,
        );
      const forward = (items: readonly Float32Array[], training: boolean): tf.Tensor2D => {
        const n = items.length;
        const x = new Float32Array(n * S * S * 3);
        items.forEach((it, i) => x.set(it, i * S * S * 3));
        let t: tf.Tensor = tf.tensor4d(x, [n, S, S, 3]);
        if (shape.length === 4 && side !== S) t = tf.image.resizeBilinear(t as tf.Tensor4D, [side, side]);
        if (config.inputRange === 'signed') t = tf.sub(tf.mul(t, 2), 1);
        if (config.inputRange === 'bytes') t = tf.mul(t, 255);
        if (config.mean) t = tf.sub(t, tf.tensor1d(config.mean));
        if (config.std) t = tf.div(t, tf.tensor1d(config.std));
        if (shape.length === 2) t = tf.reshape(t, [n, -1]);
        const y = model.run([t], training);
        return (
          y.rank === 2
            ? y
            : tf.mean(
                y,
                Array.from({ length: y.rank - 2 }, (_, i) => i + 1),
              )
        ) as tf.Tensor2D;
      };
      const width = tf.tidy(() => forward([new Float32Array(S * S * 3).fill(0.5)], false).shape[1]);
      checkWidth(width, config.featureDim, model.file, where);
      const tower = asTower(model, width, forward);
      const fp = 'frozen' in tower ? modelFingerprint(config.path, `${where}.path`) : undefined;
      const prep = {
        imageSize: S,
        side,
        inputRange: config.inputRange,
        mean: config.mean ?? null,
        std: config.std ?? null,
        resize: 'bilinear',
      };
      const cache = fp ? new FeatureCache('image-tfjs', fp, prep, width, { persist: config.cache }) : undefined;
      const what =
        'frozen' in tower
          ? `frozen; ${cache!.size.toLocaleString('en')} cached features`
          : `${model.variables.length} weights unfrozen (${config.freeze === false ? 'all layers' : `last ${config.freeze} layers`}), no feature cache`;
      progressLine(
        `unir: ${where} 'image-tfjs': loaded ${model.kind} model ${model.file}${fp ? ` (${describeFingerprint(fp)})` : ''}, ${side}×${side} input, F ${width}, in ${Math.round(performance.now() - t0)} ms; ${what}`,
      );
      return pretrainedImageEncoder({
        id: 'image-tfjs',
        where,
        scope,
        dim: ctx.dim,
        imageSize: S,
        tower: 'frozen' in tower ? { frozen: tower.frozen, cache: cache!, batchSize: config.batchSize } : tower,
        head: config.head,
        headHidden: config.headHidden,
        normalize: config.normalize,
      });
    } catch (e) {
      model.dispose();
      scope.dispose();
      throw e;
    }
  },
});
