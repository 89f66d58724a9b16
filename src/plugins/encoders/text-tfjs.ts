import { isAbsolute, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { UserError } from '../../core/errors';
import { defineEncoder, type TextEncoder } from '../../core/model/encoder';
import { ParamScope } from '../../core/nn/params';
import { pool } from '../../core/nn/ops';
import { checkWidth, describeFingerprint, textFields, towerFields } from '../../core/pretrained/config';
import { FeatureCache } from '../../core/pretrained/feature-cache';
import { modelFingerprint } from '../../core/pretrained/fingerprint';
import { progressLine } from '../../core/pretrained/progress';
import { ModelTokenizer } from '../../core/pretrained/text-inputs';
import { asTower, loadTfjsModel } from '../../core/pretrained/tfjs-tower';
import { pretrainedTextEncoder } from '../../core/pretrained/tower';

/** `freeze`: true, false, or the number of last layers (with weights) that train. */
export const FreezeSchema = z
  .union([z.boolean(), z.number().int().min(1)])
  .default(true)
  .describe(
    'true: all weights fixed (features cached, the head trains); false: all train; k: the last k layers with weights train (layers models only)',
  );

/**
 * A pretrained text encoder saved as a tfjs model (layers or graph model.json + weights) in a local folder with its
 * tokenizer.json, as a text tower with a trained head. Inputs by name: input_ids (or the first input), attention_mask,
 * token_type_ids; a fixed sequence length in the model's input shape caps maxLength. (B, T, H) outputs are pooled
 * (mean over the attention mask | cls), (B, F) used as they are.
 * freeze: true (default) caches the features per text under $UNIR_CACHE_DIR/features; false or k (layers models)
 * unfreezes all or the last k layers with weights, which then train with the head every step (no cache). Graph
 * models are constants in tfjs: freeze must be true. Unfrozen layers run on tfjs's kernels for their ops (on wasm:
 * unir's own for matMul/dense-like products; see src/core/backend).
 */
export const textTfjs = defineEncoder({
  id: 'text-tfjs',
  modality: 'text',
  summary:
    'A local tfjs text model (layers or graph + tokenizer.json) as a text tower: frozen and cached, or partly unfrozen',
  configSchema: z.strictObject({
    path: z.string().default('').describe('folder holding model.json, its weight files and tokenizer.json'),
    tokenizer: z.string().min(1).optional().describe('tokenizer.json, relative to path (default tokenizer.json)'),
    freeze: FreezeSchema,
    maxLength: textFields.maxLength,
    pooling: textFields.pooling,
    ...towerFields,
  }),
  async create(config, ctx): Promise<TextEncoder> {
    const where = ctx.where ?? 'text-tfjs';
    const t0 = performance.now();
    const scope = ParamScope.root(ctx.scope, ctx.seed);
    const model = await loadTfjsModel(config.path, config.freeze, scope, where);
    try {
      const tokFile = config.tokenizer
        ? isAbsolute(config.tokenizer)
          ? config.tokenizer
          : join(resolve(config.path), config.tokenizer)
        : join(resolve(config.path), 'tokenizer.json');
      const tokenizer = ModelTokenizer.load(tokFile, where);
      if (model.embeddingRows !== undefined && tokenizer.vocabSize > model.embeddingRows) {
        throw new UserError(
          `${where}.tokenizer: ${tokFile} has ${tokenizer.vocabSize} tokens but ${model.file}'s embedding has ${model.embeddingRows} rows; use the tokenizer.json saved with this model`,
        );
      }
      const roles = model.inputs.map((inp, k) =>
        /mask/i.test(inp.name)
          ? 'mask'
          : /type/i.test(inp.name)
            ? 'typeIds'
            : /ids|input/i.test(inp.name) || k === 0
              ? 'ids'
              : undefined,
      );
      const odd = roles.findIndex((r) => r === undefined);
      if (odd >= 0 || !roles.includes('ids'))
        throw new UserError(
          `${where}.path: ${model.file} takes inputs ${model.inputs.map((i) => i.name).join(', ')}; a text tower feeds input_ids (or one input), attention_mask and token_type_ids`,
        );
      const fixed = model.inputs[0]!.shape[1];
      const maxLength = typeof fixed === 'number' ? Math.min(fixed, config.maxLength) : config.maxLength;
      const forward = (texts: readonly string[], training: boolean): tf.Tensor2D => {
        const x = tokenizer.encode(texts, maxLength);
        const T = typeof fixed === 'number' ? fixed : x.length;
        const grid = (src: Int32Array) => {
          const out = new Int32Array(x.batch * T).fill(src === x.ids ? tokenizer.padId : 0);
          for (let b = 0; b < x.batch; b++)
            out.set(src.subarray(b * x.length, b * x.length + Math.min(x.length, T)), b * T);
          return out;
        };
        const mask = tf.tensor2d(grid(x.mask), [x.batch, T], 'float32');
        const feeds = roles.map((r, k) =>
          tf.tensor2d(grid(x[r!]), [x.batch, T], model.inputs[k]!.dtype === 'float32' ? 'float32' : 'int32'),
        );
        const y = model.run(feeds, training);
        if (y.rank === 2) return y as tf.Tensor2D;
        if (y.rank !== 3)
          throw new UserError(
            `${where}.path: ${model.file} outputs shape [${y.shape}]; a text tower needs (B, F) or (B, T, H)`,
          );
        return pool(y as tf.Tensor3D, mask, config.pooling);
      };
      const width = tf.tidy(() => forward(['hello world'], false).shape[1]);
      checkWidth(width, config.featureDim, model.file, where);
      const tower = asTower(model, width, forward);
      const fp = 'frozen' in tower ? modelFingerprint(config.path, `${where}.path`) : undefined;
      const cache = fp
        ? new FeatureCache('text-tfjs', fp, { maxLength, pooling: config.pooling }, width, { persist: config.cache })
        : undefined;
      const what =
        'frozen' in tower
          ? `frozen; ${cache!.size.toLocaleString('en')} cached features`
          : `${model.variables.length} weights unfrozen (${config.freeze === false ? 'all layers' : `last ${config.freeze} layers`}), no feature cache`;
      progressLine(
        `unir: ${where} 'text-tfjs': loaded ${model.kind} model ${model.file}${fp ? ` (${describeFingerprint(fp)})` : ''}, F ${width}, in ${Math.round(performance.now() - t0)} ms; ${what}`,
      );
      return pretrainedTextEncoder({
        id: 'text-tfjs',
        where,
        scope,
        dim: ctx.dim,
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
