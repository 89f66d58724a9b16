import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineLoss, lossLabel, takeFeatures } from '../../core/loss/loss';
import { correctRows, crossEntropyRows } from '../../core/loss/ops';

const NEEDS = ['intentLogits', 'intentLabels'] as const;

/**
 * Intent classification: softmax cross-entropy with integer labels, mean over the batch, optionally
 * label-smoothed (target (1 - ε)·onehot + ε/I).
 * Needs: intentLogits (B, I), intentLabels (B) int32 in [0, I).
 * Terms: { intentCe, intentAcc = fraction of rows whose argmax is the label }.
 */
export const intentCe = defineLoss({
  id: 'intent-ce',
  summary:
    'Softmax cross-entropy of the intent head against integer labels, mean over the batch, optional label smoothing',
  needs: NEEDS,
  mainTerm: 'intentCe',
  citation: `@inproceedings{szegedy2016rethinking,
  title = {Rethinking the Inception Architecture for Computer Vision},
  author = {Szegedy, Christian and Vanhoucke, Vincent and Ioffe, Sergey and Shlens, Jon and Wojna, Zbigniew},
  booktitle = {CVPR}, year = {2016}
}`,
  configSchema: z.object({
    labelSmoothing: z.number().min(0).lt(1).default(0).describe('ε: the target is (1 - ε)·onehot + ε/I'),
  }),
  create(config, ctx) {
    const where = lossLabel('intent-ce', ctx);
    return {
      variables: [],
      compute(f) {
        const { intentLogits, intentLabels } = takeFeatures(f, NEEDS, where);
        return tf.tidy(() => ({
          intentCe: tf.mean(crossEntropyRows(intentLogits, intentLabels, config.labelSmoothing)) as tf.Scalar,
          intentAcc: tf.mean(correctRows(intentLogits, intentLabels)) as tf.Scalar,
        }));
      },
      dispose() {},
    };
  },
});
