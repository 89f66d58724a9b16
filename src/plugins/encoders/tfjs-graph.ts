import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { UserError } from '../../core/errors';
import { checkImages, defineEncoder, type ImageEncoder } from '../../core/model/encoder';
import { Dense, l2Normalize, modelDir, ParamScope, readModelDir } from '../../core/nn';

/**
 * Image encoder from a saved tfjs model directory (model.json + weight files, read from local disk).
 * - layers model (format 'layers-model'): trainable unless `frozen`; its weights become this encoder's
 *   variables `<scope>/net/<weight name>` (frozen: not listed, so no stage trains them).
 * - graph model (format 'graph-model', tfjs-converter): constants in tfjs, so `frozen: true` only.
 * Images (B, S, S, 3) in [0, 1] are scaled (`inputRange`), resized to the model's input if it is 4-D, or
 * flattened if it is 2-D. Outputs of rank > 2 are averaged over their middle axes; a width other than D is
 * projected by `<scope>/proj/*` (always trainable). Unit rows.
 */
export const tfjsGraph = defineEncoder({
  id: 'tfjs-graph',
  modality: 'image',
  summary: 'A saved tfjs layers (trainable or frozen) or graph (frozen) model as the image tower, projected to D',
  configSchema: z.strictObject({
    path: z
      .string()
      .default('')
      .describe('directory holding model.json and its weight files (or the model.json itself)'),
    frozen: z.boolean().default(true).describe('keep the loaded weights fixed (graph models must be frozen)'),
    imageSize: z.number().int().min(2).default(32).describe('S: input images are S×S×3 (data.imageSize)'),
    inputRange: z
      .enum(['unit', 'signed', 'bytes'])
      .default('unit')
      .describe('what the model expects: [0, 1], [-1, 1] or [0, 255]'),
  }),
  async create(config, ctx): Promise<ImageEncoder> {
    const where = ctx.where ?? 'tfjs-graph';
    if (!config.path) throw new UserError(`${where}.path: set it to a tfjs model directory (model.json + weights)`);
    const artifacts = readModelDir(config.path); // UserErrors for missing/broken files
    const isGraph = artifacts.format === 'graph-model';
    if (isGraph && !config.frozen) {
      throw new UserError(
        `${where}.frozen: ${config.path} is a graph model, whose weights tfjs cannot train; set frozen: true or export a layers model`,
      );
    }
    const scope = ParamScope.root(ctx.scope, ctx.seed);
    let run: (x: tf.Tensor, training: boolean) => tf.Tensor;
    let inputShape: (number | null)[];
    let release: () => void;
    let trainable: tf.Variable[] = [];
    if (isGraph) {
      const g = await loadGraphModel(modelDir(config.path));
      inputShape = g.inputs[0]?.shape ?? [];
      run = (x) => g.execute(x) as tf.Tensor;
      release = () => g.dispose();
    } else {
      const m = await tfl.loadLayersModel(modelDir(config.path));
      inputShape = (m.inputs[0]?.shape ?? []) as (number | null)[];
      // Re-home the weights under stable names; layer variables read `val` on every call.
      const trainableSet = new Set(m.trainableWeights.map((w) => w.name));
      for (const lw of m.weights) {
        const slot = lw as unknown as { val: tf.Variable };
        const isTrainable = !config.frozen && trainableSet.has(lw.name);
        const v = scope.adopt(`net/${lw.originalName}`, slot.val, isTrainable);
        slot.val.dispose();
        slot.val = v;
        if (isTrainable) trainable.push(v);
      }
      run = (x, training) => {
        const y = m.apply(x, { training });
        return (Array.isArray(y) ? y[0]! : y) as tf.Tensor;
      };
      release = () => undefined; // the scope owns the weights; the model holds nothing else
    }
    const S = config.imageSize;
    const adapt = (images: tf.Tensor4D): tf.Tensor => {
      const scaled =
        config.inputRange === 'unit'
          ? images
          : config.inputRange === 'signed'
            ? tf.sub(tf.mul(images, 2), 1)
            : tf.mul(images, 255);
      if (inputShape.length === 4 && inputShape[3] === 3) {
        const [h, w] = [inputShape[1] ?? S, inputShape[2] ?? S];
        return h === S && w === S ? scaled : tf.image.resizeBilinear(scaled as tf.Tensor4D, [h, w]);
      }
      if (inputShape.length === 2 && (inputShape[1] === null || inputShape[1] === S * S * 3))
        return tf.reshape(scaled, [images.shape[0], -1]);
      throw new UserError(
        `${where}.path: ${config.path} takes inputs of shape [${inputShape.map(String)}]; expected [null, h, w, 3] or [null, ${S * S * 3}]`,
      );
    };
    const pooled = (y: tf.Tensor): tf.Tensor2D =>
      (y.rank === 2
        ? y
        : tf.mean(
            y,
            Array.from({ length: y.rank - 2 }, (_, i) => i + 1),
          )) as tf.Tensor2D;
    // The output width, from one probe image.
    const width = tf.tidy(() => pooled(run(adapt(tf.zeros([1, S, S, 3])), false)).shape[1]);
    const proj = width === ctx.dim ? undefined : new Dense(scope.child('proj'), width, ctx.dim);
    trainable = [...trainable, ...(proj?.variables() ?? [])];
    return {
      modality: 'image',
      dim: ctx.dim,
      imageSize: S,
      encode(images, opts) {
        checkImages(images, S, where);
        return tf.tidy(() => {
          const f = pooled(run(adapt(images), opts.training && !config.frozen)); // (B, F)
          return l2Normalize((proj ? proj.apply(f) : f) as tf.Tensor2D); // (B, D)
        });
      },
      variables: () => [...trainable],
      // Unknown graph: counts only the projection.
      flops: ([b = 1]) => proj?.flops(b) ?? 0,
      dispose: () => {
        release();
        scope.dispose();
      },
    };
  },
});
