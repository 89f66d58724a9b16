import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineLoss, expectSameShape, lossLabel, lossVariable, takeFeatures } from '../../core/loss/loss';
import { negLogSigmoid } from '../../core/loss/ops';

const NEEDS = ['a', 'b'] as const;

/**
 * Sigmoid pairwise loss (SigLIP): every (i, j) pair is a binary problem, positive on the diagonal.
 * loss = (1/B) Σ_i Σ_j -log σ(z_ij (t·a_i·b_j + bias)), z_ij = +1 if i = j else -1, t = exp(t').
 * t' starts at log(initScale) = log 10 and bias at -10 (the paper's init: the B² - B negatives dominate).
 * Needs: a, b (B, D), L2-normalised, row i ↔ row i.
 * Terms: { siglip, scale = t, bias }.
 * Relations: same inputs as info-nce; no softmax over the batch, so no row competes with the others.
 */
export const siglip = defineLoss({
  id: 'siglip',
  summary: 'Sigmoid loss on every in-batch pair (SigLIP) with learnable scale t = exp(t′) and bias b',
  needs: NEEDS,
  mainTerm: 'siglip',
  citation: `@inproceedings{zhai2023siglip,
  title = {Sigmoid Loss for Language Image Pre-Training},
  author = {Zhai, Xiaohua and Mustafa, Basil and Kolesnikov, Alexander and Beyer, Lucas},
  booktitle = {ICCV}, year = {2023}
}`,
  configSchema: z.object({
    initScale: z.number().positive().default(10).describe("initial t; the variable is t' = log t (paper: 10)"),
    initBias: z.number().default(-10).describe('initial bias b (paper: -10)'),
    learnable: z.boolean().default(true).describe("learn t' and b (variables) or keep them fixed"),
  }),
  create(config, ctx) {
    const where = lossLabel('siglip', ctx);
    const prefix = ctx?.name ?? 'siglip';
    const logScale = config.learnable ? lossVariable(prefix, 'logScale', Math.log(config.initScale), where) : undefined;
    const bias = config.learnable ? lossVariable(prefix, 'bias', config.initBias, where) : undefined;
    return {
      variables: logScale && bias ? [logScale, bias] : [],
      compute(f) {
        const { a, b } = takeFeatures(f, NEEDS, where);
        expectSameShape(a, b, ['a', 'b'], where);
        return tf.tidy(() => {
          const batch = a.shape[0];
          const t = tf.exp(logScale ?? tf.scalar(Math.log(config.initScale))); // ()
          const bb = bias ?? tf.scalar(config.initBias); // ()
          const logits = tf.add(tf.mul(t, tf.matMul(a, b, false, true)), bb); // (B, B)
          const z = tf.sub(tf.mul(tf.eye(batch), 2), 1); // (B, B): +1 diagonal, -1 elsewhere
          return {
            siglip: tf.div(tf.sum(negLogSigmoid(tf.mul(z, logits))), batch) as tf.Scalar,
            scale: t as tf.Scalar,
            bias: tf.clone(bb) as tf.Scalar,
          };
        });
      },
      dispose() {
        logScale?.dispose();
        bias?.dispose();
      },
    };
  },
});
