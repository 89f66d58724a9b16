import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { UserError } from '../../core/errors';
import { defineFusion } from '../../core/model/fusion';
import { LayerNorm, MultiHeadAttention, ParamScope } from '../../core/nn';

/**
 * The paper's early fusion (arXiv 2601.14714): before the text encoder's layers, the query's token states
 * x (B, T, Ht) attend to the memory M = [NLU token states; intent embedding; semantic vector] (B, T+2, Hn),
 * masked like the query (the two extra slots always visible):
 *   x' = x + g ⊙ CrossAttn(LN_q(x), LN_m(M)),   g (Ht) initialised to gateInit (small: the text path starts
 * almost unchanged, and still every parameter gets gradient).
 * Variables `<scope>/ln_q/*`, `<scope>/ln_m/*`, `<scope>/attn/{wq,bq,wk,bk,wv,bv,wo,bo}`, `<scope>/gate`.
 * Defaults (4 heads, T 32, H 128): ≈ 4.9 MFLOP forward per query.
 */
export const crossAttention = defineFusion({
  id: 'cross-attention',
  summary:
    'Query tokens cross-attend to [NLU tokens; intent embedding; semantic vector] before the text layers, gated residual',
  configSchema: z.strictObject({
    heads: z.number().int().min(1).default(4).describe('attention heads; must divide the text encoder hidden width'),
    gateInit: z.number().default(0.1).describe('initial value of the per-channel residual gate'),
  }),
  create(config, ctx) {
    const Ht = ctx.textHidden;
    const Hn = ctx.nluHidden;
    if (Ht % config.heads !== 0) {
      throw new UserError(
        `${ctx.where ?? 'fusion'}.heads: ${config.heads} heads must divide the text encoder's hidden width ${Ht}`,
      );
    }
    const scope = ParamScope.root(ctx.scope, ctx.seed);
    const lnQ = new LayerNorm(scope.child('ln_q'), Ht);
    const lnM = new LayerNorm(scope.child('ln_m'), Hn);
    const attn = new MultiHeadAttention(scope.child('attn'), { dim: Ht, kvDim: Hn, heads: config.heads });
    const gate = scope.variable('gate', [Ht], { kind: 'const', value: config.gateInit });
    return {
      usesNlu: true,
      early: (nlu) => (x, mask) =>
        tf.tidy(() => {
          const [B] = mask.shape;
          const extra = tf.stack([nlu.intentEmbedding, nlu.semantic], 1); // (B, 2, Hn)
          const memory = lnM.apply(tf.concat([nlu.tokenStates, extra], 1) as tf.Tensor3D); // (B, T+2, Hn)
          const memMask = tf.concat([mask, tf.ones([B, 2])], 1) as tf.Tensor2D; // (B, T+2)
          const a = attn.apply(lnQ.apply(x), { memory, keyMask: memMask }); // (B, T, Ht)
          return tf.add(x, tf.mul(a, gate)) as tf.Tensor3D;
        }),
      variables: () => [...lnQ.variables(), ...lnM.variables(), ...attn.variables(), gate],
      flops: ([b = 1, t = 32]) => attn.flops(b, t, t + 2),
      dispose: () => scope.dispose(),
    };
  },
});
