import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineFusion } from '../../core/model/fusion';
import { Dense, l2Normalize, ParamScope } from '../../core/nn';

/**
 * Late fusion: e' = L2(e + g·W s), with e the text embedding (B, D), s the NLU semantic vector (B, Hn),
 * W (Hn, D) and the scalar gate g initialised to gateInit. Cheaper than cross-attention: the text encoder
 * never sees the NLU features. Variables `<scope>/proj/{w,b}`, `<scope>/gate`.
 */
export const late = defineFusion({
  id: 'late',
  summary: 'Gated sum of the text embedding and the projected NLU semantic vector, re-normalised',
  configSchema: z.strictObject({
    gateInit: z.number().default(0.1).describe('initial value of the scalar gate g'),
  }),
  create(config, ctx) {
    const scope = ParamScope.root(ctx.scope, ctx.seed);
    const proj = new Dense(scope.child('proj'), ctx.nluHidden, ctx.dim);
    const gate = scope.variable('gate', [], { kind: 'const', value: config.gateInit });
    return {
      usesNlu: true,
      late: (embedding, nlu) =>
        tf.tidy(() => l2Normalize(tf.add(embedding, tf.mul(gate, proj.apply(nlu.semantic))) as tf.Tensor2D)),
      variables: () => [...proj.variables(), gate],
      flops: ([b = 1]) => proj.flops(b),
      dispose: () => scope.dispose(),
    };
  },
});
