import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { UserError } from '../../core/errors';
import { defineLoss, lossLabel, takeFeatures } from '../../core/loss/loss';
import { correctRows, crossEntropyRows } from '../../core/loss/ops';

const NEEDS = ['slotLogits', 'slotLabels', 'slotMask'] as const;

/**
 * BIO slot tagging: token softmax cross-entropy, averaged over labelled tokens only:
 * Σ mask·ce / max(Σ mask, 1). Tokens with mask 0 (CLS, padding, word continuations) have no effect on the
 * value or the gradient, whatever their (finite) logits and labels; a batch with no labelled token gives 0.
 * Needs: slotLogits (B, T, S), slotLabels (B, T) int32, slotMask (B, T) float {0, 1}.
 * Terms: { slotCe, slotAcc = fraction of labelled tokens whose argmax is the label (0 if none) }.
 */
export const slotCe = defineLoss({
  id: 'slot-ce',
  summary:
    'Token cross-entropy of the BIO slot head, masked to labelled tokens (first piece of each word), mean over them',
  needs: NEEDS,
  mainTerm: 'slotCe',
  configSchema: z.object({
    labelSmoothing: z.number().min(0).lt(1).default(0).describe('ε: the target is (1 - ε)·onehot + ε/S'),
  }),
  create(config, ctx) {
    const where = lossLabel('slot-ce', ctx);
    return {
      variables: [],
      compute(f) {
        const { slotLogits, slotLabels, slotMask } = takeFeatures(f, NEEDS, where);
        const [batch, tokens, tags] = slotLogits.shape;
        for (const [name, t] of [
          ['slotLabels', slotLabels],
          ['slotMask', slotMask],
        ] as const) {
          if (t.shape[1] !== tokens) {
            throw new UserError(
              `${where}: '${name}' has ${t.shape[1]} tokens but 'slotLogits' has ${tokens}; they must align token for token`,
            );
          }
        }
        return tf.tidy(() => {
          const n = batch * tokens;
          const logits = tf.reshape(slotLogits, [n, tags]) as tf.Tensor2D; // (B·T, S)
          const labels = tf.reshape(slotLabels, [n]) as tf.Tensor1D; // (B·T)
          const mask = tf.reshape(slotMask, [n]); // (B·T)
          const count = tf.maximum(tf.sum(mask), 1); // ()
          const ce = crossEntropyRows(logits, labels, config.labelSmoothing); // (B·T)
          return {
            slotCe: tf.div(tf.sum(tf.mul(mask, ce)), count) as tf.Scalar,
            slotAcc: tf.div(tf.sum(tf.mul(mask, correctRows(logits, labels))), count) as tf.Scalar,
          };
        });
      },
      dispose() {},
    };
  },
});
