import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineLoss, expectSameShape, lossLabel, takeFeatures } from '../../core/loss/loss';
import { stopGradient } from '../../core/loss/ops';

const NEEDS = ['enhanced', 'target'] as const;

/**
 * Pulls the NLU-enhanced query vector onto the embedding of its semantic text:
 * mean over all B·D elements of (enhanced - sg(target))². sg = stop-gradient: the target side gets exact
 * zero gradients (see stopGradient), so only the fusion/query path learns from this term.
 * Needs: enhanced, target (B, D).
 * Terms: { mseAlign }.
 */
export const mseAlign = defineLoss({
  id: 'mse-align',
  summary: 'Mean squared error between the NLU-enhanced query and the stop-gradient embedding of its semantic text',
  needs: NEEDS,
  mainTerm: 'mseAlign',
  configSchema: z.object({}),
  create(_config, ctx) {
    const where = lossLabel('mse-align', ctx);
    return {
      variables: [],
      compute(f) {
        const { enhanced, target } = takeFeatures(f, NEEDS, where);
        expectSameShape(enhanced, target, ['enhanced', 'target'], where);
        return tf.tidy(() => ({
          mseAlign: tf.mean(tf.squaredDifference(enhanced, stopGradient(target))) as tf.Scalar,
        }));
      },
      dispose() {},
    };
  },
});
