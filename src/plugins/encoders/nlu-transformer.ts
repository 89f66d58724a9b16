import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import {
  defineEncoder,
  requireCount,
  requireTokenizer,
  type NluEncoder,
  type NluOutput,
} from '../../core/model/encoder';
import { headsDivideHidden, transformerFields } from '../../core/model/transformer-config';
import { batchTensors, Dense, ParamScope, pool, TokenTransformer } from '../../core/nn';
import { tidyRecord } from '../../core/nn/ops';

/**
 * NLU module: its own pre-LN transformer over the query tokens (own embedding-bag), then
 * - intent head: pooled state → Dense → intentLogits (B, I)
 * - slot head: every token state → Dense → slotLogits (B, T, S) (BIO; the caller reads first-piece tokens)
 * - semantic: pooled state → Dense → (B, H)
 * - intentEmbedding: softmax(intentLogits) · E_intent, E_intent (I, H) learned.
 * I and S come from the dataset (create ctx), not from the config.
 * Defaults (H 128, 2 layers, 4 heads, MLP 2H, T 32): ≈ 18.0 MFLOP forward per sample incl. the heads.
 */
export const nluTransformer = defineEncoder({
  id: 'nlu-transformer',
  modality: 'nlu',
  summary: 'Transformer NLU module: intent logits, BIO slot logits, semantic vector and intent embedding for fusion',
  configSchema: z
    .strictObject({
      ...transformerFields,
      pooling: z
        .enum(['mean', 'cls'])
        .default('mean')
        .describe('pooled state for the intent head and the semantic vector'),
    })
    .superRefine(headsDivideHidden),
  create(config, ctx): NluEncoder {
    const tok = requireTokenizer(ctx, 'nlu-transformer');
    const numIntents = requireCount(ctx, 'numIntents', 'nlu-transformer');
    const numSlotLabels = requireCount(ctx, 'numSlotLabels', 'nlu-transformer');
    const H = config.hidden;
    const scope = ParamScope.root(ctx.scope, ctx.seed);
    const trunk = new TokenTransformer(scope, {
      dim: H,
      heads: config.heads,
      mlpRatio: config.mlpRatio,
      dropout: config.dropout,
      layers: config.layers,
      vocabSize: tok.vocabSize,
      pieces: tok.pieces,
      maxLength: tok.maxLength,
      padId: tok.padId,
    });
    const intentHead = new Dense(scope.child('intent'), H, numIntents);
    const slotHead = new Dense(scope.child('slot'), H, numSlotLabels);
    const semanticHead = new Dense(scope.child('semantic'), H, H);
    const intentTable = scope.variable('intent/embedding', [numIntents, H], { kind: 'normal', std: 0.02 });
    const heads = [intentHead, slotHead, semanticHead];
    /** The heads on the trunk's states (B, T, H) of one batch. */
    const outputs = (tokenStates: tf.Tensor3D, mask: tf.Tensor2D): NluOutput => {
      const pooled = pool(tokenStates, mask, config.pooling);
      const intentLogits = intentHead.apply(pooled) as tf.Tensor2D; // (B, I)
      return {
        tokenStates,
        intentLogits,
        slotLogits: slotHead.apply(tokenStates) as tf.Tensor3D, // (B, T, S)
        semantic: semanticHead.apply(pooled) as tf.Tensor2D, // (B, H)
        intentEmbedding: tf.matMul(tf.softmax(intentLogits), intentTable as tf.Tensor2D) as tf.Tensor2D, // (B, H)
      };
    };
    return {
      modality: 'nlu',
      hidden: H,
      numIntents,
      numSlotLabels,
      encode(batch, opts) {
        trunk.check(batch);
        return tidyRecord(() => {
          const { ids, mask } = batchTensors(batch);
          return outputs(trunk.apply(ids, mask, opts.training), mask);
        });
      },
      encodeMany(batches, opts) {
        for (const b of batches) trunk.check(b);
        return tidyRecord(() => {
          const ins = batches.map(batchTensors);
          const states = trunk.applyMany(
            ins.map((i) => i.ids),
            ins.map((i) => i.mask),
            opts.training,
          );
          return states.map((s, i) => outputs(s, ins[i]!.mask));
        });
      },
      variables: () => [...trunk.variables(), ...heads.flatMap((d) => d.variables()), intentTable],
      flops: ([b = 1, t = tok.maxLength]) =>
        trunk.flops(b, t) +
        intentHead.flops(b) +
        slotHead.flops(b * t) +
        semanticHead.flops(b) +
        2 * b * numIntents * H,
      dispose: () => scope.dispose(),
    };
  },
});
