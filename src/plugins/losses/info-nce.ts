import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { UserError } from '../../core/errors';
import { defineLoss, expectSameShape, lossLabel, lossVariable, takeFeatures } from '../../core/loss/loss';
import { composedInfoNce, fusedInfoNce } from '../../core/loss/fused-info-nce';

const NEEDS = ['a', 'b'] as const;

/**
 * Symmetric InfoNCE with in-batch negatives (CLIP): logits = s·a·bᵀ, cross-entropy of each row of a against
 * all of b (aToB) and of each row of b against all of a (bToA), averaged.
 * Needs: a, b (B, D), L2-normalised, row i ↔ row i.
 * Scale: s = exp(min(logitScale, log maxScale)); logitScale starts at log(1/τ0) and is learned unless
 * learnTemperature is false. CLIP clamps the parameter to log 100 after each step; here the clamp is in the
 * forward pass, and above the cap only gradients that lower logitScale pass (see clampAboveMax).
 * Terms: { infoNce, aToB, bToA, temperature = 1/s }.
 * Relations: siglip takes the same inputs and scores each pair with a sigmoid instead of a softmax per row.
 */
export const infoNce = defineLoss({
  id: 'info-nce',
  summary: 'Symmetric InfoNCE over in-batch negatives with a learnable CLIP logit scale (exp, clamped to ≤ 100)',
  needs: NEEDS,
  mainTerm: 'infoNce',
  citation: `@inproceedings{radford2021clip,
  title = {Learning Transferable Visual Models From Natural Language Supervision},
  author = {Radford, Alec and Kim, Jong Wook and Hallacy, Chris and others},
  booktitle = {ICML}, year = {2021}
}
@article{oord2018cpc,
  title = {Representation Learning with Contrastive Predictive Coding},
  author = {van den Oord, Aaron and Li, Yazhe and Vinyals, Oriol},
  journal = {arXiv:1807.03748}, year = {2018}
}`,
  configSchema: z.object({
    temperature: z
      .number()
      .positive()
      .default(0.07)
      .describe('initial temperature τ0; logitScale starts at log(1/τ0) (CLIP: 0.07)'),
    learnTemperature: z.boolean().default(true).describe('learn logitScale (a variable) or keep 1/τ0 fixed'),
    maxScale: z.number().positive().default(100).describe('exp(logitScale) is clamped to at most this (CLIP: 100)'),
  }),
  create(config, ctx) {
    const where = lossLabel('info-nce', ctx);
    if (1 / config.temperature > config.maxScale) {
      throw new UserError(
        `${where}: temperature ${config.temperature} is below 1/maxScale = ${1 / config.maxScale}; raise temperature or maxScale`,
      );
    }
    const init = Math.log(1 / config.temperature);
    const logitScale = config.learnTemperature
      ? lossVariable(ctx?.name ?? 'info-nce', 'logitScale', init, where)
      : undefined;
    const maxLog = Math.log(config.maxScale);
    return {
      variables: logitScale ? [logitScale] : [],
      compute(f) {
        const { a, b } = takeFeatures(f, NEEDS, where);
        expectSameShape(a, b, ['a', 'b'], where);
        return tf.tidy(() => {
          const v = logitScale ?? tf.scalar(init);
          // wasm: one tape node with these ops' values; elsewhere the ops themselves
          return {
            ...(fusedInfoNce(a, b, v, maxLog) ?? composedInfoNce(a, b, v, maxLog)),
          };
        });
      },
      dispose() {
        logitScale?.dispose();
      },
    };
  },
});
