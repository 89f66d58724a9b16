import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineLoss, expectSameShape, lossLabel, takeFeatures } from '../../core/loss/loss';
import { stopGradient } from '../../core/loss/ops';

const NEEDS = ['a', 'b', 'teacher'] as const;

/**
 * Multilingual knowledge distillation (Reimers & Gurevych 2020): the student text encoder maps a text in language X
 * (a) and its pivot-language counterpart (b) onto the teacher's embedding of the pivot text (t):
 *   distillMse = mean over rows of ‖a − sg(t)‖² + pivotWeight · ‖b − sg(t)‖²   (squared distances summed over D),
 * sg = stop-gradient (the teacher never trains). With unit rows ‖x − t‖² = 2 − 2·cos(x, t), so the term lies in
 * [0, 4·(1 + pivotWeight)]. Logged: cosX = mean cos(a, t), cosPivot = mean cos(b, t).
 * Needs: a, b, teacher (B, D) — the 'translation' pair of a model with model.teacher.
 * Relations: mse-align pulls the fused query onto a fixed target the same way; info-nce on caption-chunk aligns
 * languages with in-batch negatives instead of a teacher.
 */
export const distillMse = defineLoss({
  id: 'distill-mse',
  summary:
    "Squared distance of a translation and its pivot text (student) to the teacher's embedding of the pivot text",
  citation: `@inproceedings{reimers2020multilingual,
  title = {Making Monolingual Sentence Embeddings Multilingual using Knowledge Distillation},
  author = {Reimers, Nils and Gurevych, Iryna},
  booktitle = {EMNLP}, year = {2020}
}`,
  needs: NEEDS,
  mainTerm: 'distillMse',
  configSchema: z.strictObject({
    pivotWeight: z
      .number()
      .min(0)
      .default(1)
      .describe("weight of the pivot text's own distance to the teacher (Reimers & Gurevych use 1)"),
  }),
  create(config, ctx) {
    const where = lossLabel('distill-mse', ctx);
    return {
      variables: [],
      compute(f) {
        const { a, b, teacher } = takeFeatures(f, NEEDS, where);
        expectSameShape(a, teacher, ['a', 'teacher'], where);
        expectSameShape(b, teacher, ['b', 'teacher'], where);
        return tf.tidy(() => {
          const t = stopGradient(teacher); // (B, D)
          const dx = tf.sum(tf.squaredDifference(a, t), 1); // (B)
          const dp = tf.sum(tf.squaredDifference(b, t), 1); // (B)
          return {
            distillMse: tf.mean(tf.add(dx, tf.mul(dp, config.pivotWeight))) as tf.Scalar,
            cosX: tf.mean(tf.sum(tf.mul(a, teacher), 1)) as tf.Scalar,
            cosPivot: tf.mean(tf.sum(tf.mul(b, teacher), 1)) as tf.Scalar,
          };
        });
      },
      dispose() {},
    };
  },
});
