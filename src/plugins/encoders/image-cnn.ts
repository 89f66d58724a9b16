import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { checkImages, defineEncoder, type ImageEncoder } from '../../core/model/encoder';
import {
  conv2d,
  deferBackward,
  deferForward,
  Dense,
  globalAvgPool,
  l2Normalize,
  linear,
  maxPool2,
  ParamScope,
  zeros,
} from '../../core/nn';

/**
 * Small conv net: per stage a k×k conv (or, with `separable`, a depthwise k×k + pointwise 1×1 after the
 * first stage) + bias → ReLU → 2×2 pooling; then global average pooling → projection to D → L2.
 * Input (B, S, S, 3) in [0, 1]. Variables `<scope>/conv.<i>/{w,b}` (separable: `{dw,pw,b}`), `<scope>/proj/*`.
 * Needs Conv2DBackpropFilter (and the depthwise gradients when separable) on wasm: src/core/backend adds them.
 * Defaults (S 32, channels 32-64-128, 3×3, D 128): ≈ 21 MFLOP forward per image.
 */
export const imageCnn = defineEncoder({
  id: 'image-cnn',
  modality: 'image',
  summary: 'Small CNN (conv/ReLU/pool stages, optional depthwise-separable), global-average pooled, projected to D',
  configSchema: z.strictObject({
    imageSize: z.number().int().min(2).default(32).describe('S: input images are S×S×3 (data.imageSize)'),
    channels: z.array(z.number().int().min(1)).min(1).default([32, 64, 128]).describe('output channels of each stage'),
    kernel: z.number().int().min(1).default(3).describe('k: conv kernel size'),
    pool: z
      .enum(['max', 'avg'])
      .default('max')
      .describe('2×2 pooling after each stage while the map is larger than 1×1'),
    separable: z
      .boolean()
      .default(false)
      .describe('depthwise k×k + pointwise 1×1 instead of a full conv after the first stage'),
  }),
  create(config, ctx): ImageEncoder {
    const { imageSize: S, kernel: k } = config;
    const scope = ParamScope.root(ctx.scope, ctx.seed);
    const stages = config.channels.map((cout, i) => {
      const cin = i === 0 ? 3 : config.channels[i - 1]!;
      const s = scope.child(`conv.${i}`);
      const sep = config.separable && i > 0;
      return {
        cin,
        cout,
        sep,
        w: sep ? undefined : s.variable('w', [k, k, cin, cout], { kind: 'he', fanIn: k * k * cin }),
        dw: sep ? s.variable('dw', [k, k, cin, 1], { kind: 'he', fanIn: k * k }) : undefined,
        pw: sep ? s.variable('pw', [cin, cout], { kind: 'he', fanIn: cin }) : undefined,
        b: s.variable('b', [cout], zeros),
      };
    });
    const last = config.channels[config.channels.length - 1]!;
    const proj = new Dense(scope.child('proj'), last, ctx.dim);
    const where = ctx.where ?? 'image-cnn';
    // spatial size entering each stage
    const sizes = stages.map((_, i) => stages.slice(0, i).reduce((sz) => (sz > 1 ? Math.floor(sz / 2) : sz), S));
    return {
      modality: 'image',
      dim: ctx.dim,
      imageSize: S,
      encode(images, { meanwhile }) {
        // no dropout or batch statistics: training and inference run the same graph
        checkImages(images, S, where);
        const scaled = () => tf.sub(tf.mul(images, 2), 1) as tf.Tensor4D; // [0, 1] → [-1, 1]
        const convs = (input: tf.Tensor4D) => {
          let x = input;
          for (const st of stages) {
            x = st.sep
              ? (tf.relu(linear(tf.depthwiseConv2d(x, st.dw as tf.Tensor4D, 1, 'same'), st.pw!, st.b)) as tf.Tensor4D)
              : conv2d(x, st.w as tf.Tensor4D, st.b, { relu: true });
            if (x.shape[1] > 1) x = config.pool === 'max' ? maxPool2(x) : tf.avgPool(x, 2, 2, 'valid');
          }
          return x; // (B, s, s, C)
        };
        const head = (x: tf.Tensor4D) => proj.apply(globalAvgPool(x)) as tf.Tensor2D; // (B, C) → (B, D)
        if (config.separable || config.pool !== 'max') return tf.tidy(() => l2Normalize(head(convs(scaled()))));
        // the default tower is all unir kernels: its convolutions can run on a worker while the caller's text passes
        // run here (meanwhile, outside this encoder's tidy scopes: their tensors are the caller's), and its backward
        // pass while theirs does
        const x = tf.tidy(() => {
          const input = scaled(); // stock kernels: run here
          return deferBackward(() => (meanwhile ? deferForward(() => convs(input)) : convs(input)));
        });
        meanwhile?.();
        try {
          return tf.tidy(() => l2Normalize(deferBackward(() => head(x))));
        } finally {
          x.dispose();
        }
      },
      variables: () => [
        ...stages.flatMap((s) => [s.w, s.dw, s.pw, s.b].filter((v): v is tf.Variable => v !== undefined)),
        ...proj.variables(),
      ],
      flops: ([b = 1]) =>
        stages.reduce(
          (sum, st, i) =>
            sum + 2 * b * sizes[i]! ** 2 * (st.sep ? k * k * st.cin + st.cin * st.cout : k * k * st.cin * st.cout),
          0,
        ) + proj.flops(b),
      dispose: () => scope.dispose(),
    };
  },
});
