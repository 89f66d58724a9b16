import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EncoderCtx, ImageEncoder } from '../../../src/core/model/encoder';
import { imageVit } from '../../../src/plugins/encoders/image-vit';
import {
  describeModuleContract,
  describePluginBasics,
  maxAbsDiff,
  randomImages,
  rng,
  useBackend,
} from '../../helpers/contract';

beforeAll(() => useBackend('wasm'));

const ctx: EncoderCtx = { scope: 'image', seed: 2, dim: 10 };
const small = { imageSize: 8, patchSize: 4, hidden: 8, layers: 1, heads: 2 };
const build = (cfg: object = small, c: EncoderCtx = ctx) =>
  imageVit.create(imageVit.configSchema.parse(cfg), c) as ImageEncoder;

describe('image-vit', () => {
  describePluginBasics(imageVit);
  for (const pooling of ['cls', 'mean'] as const) {
    describe(`pooling ${pooling}`, () => {
      let images: tf.Tensor4D;
      beforeAll(() => void (images = randomImages(rng(1), 3, 8)));
      describeModuleContract({
        build: () => build({ ...small, pooling }),
        run: (m, training) => ({ embedding: m.encode(images, { training }) }),
        shapes: { embedding: [3, 10] },
        unitRows: ['embedding'],
      });
    });
  }

  it('is a function of the patches in place: moving one patch changes the embedding, the same image twice gives equal rows', () => {
    const m = build();
    const a = randomImages(rng(2), 1, 8);
    const swapped = tf.tidy(() =>
      tf.concat([tf.slice(a, [0, 4, 0, 0], [1, 4, 8, 3]), tf.slice(a, [0, 0, 0, 0], [1, 4, 8, 3])], 1),
    ) as tf.Tensor4D;
    const ea = m.encode(tf.concat([a, a]) as tf.Tensor4D, { training: false });
    const eb = m.encode(swapped, { training: false });
    expect(maxAbsDiff(tf.slice(ea, [0, 0], [1, 10]), tf.slice(ea, [1, 0], [1, 10]))).toBe(0);
    expect(maxAbsDiff(tf.slice(ea, [0, 0], [1, 10]), eb)).toBeGreaterThan(1e-4); // learned positions see the order
    tf.dispose([a, swapped, ea, eb]);
    m.dispose();
  });

  it('builds from its defaults (S 32, p 8, H 128) and reports FLOPs', () => {
    const m = build({}, { ...ctx, dim: 128 });
    const x = randomImages(rng(3), 2, 32);
    const e = m.encode(x, { training: false });
    expect(e.shape).toEqual([2, 128]);
    const H = 128,
      N = 16,
      T = 17;
    const layer = 4 * 2 * T * H * H + 4 * T * T * H + 2 * 2 * T * H * 2 * H;
    expect(m.flops([1, 32, 32, 3])).toBe(2 * N * 192 * H + 2 * layer + 2 * H * 128);
    tf.dispose([x, e]);
    m.dispose();
  });

  it('rejects images of another size and a patch size that does not divide it', () => {
    const m = build(small, { ...ctx, where: 'model.image' });
    const x = randomImages(rng(4), 1, 16);
    expect(() => m.encode(x, { training: false })).toThrow(
      /model\.image: images of shape \[1,16,16,3\], expected \[B, 8, 8, 3\]; set data\.imageSize \(or the encoder's imageSize\) to 16 so they agree/,
    );
    x.dispose();
    m.dispose();
    expect(imageVit.configSchema.safeParse({ imageSize: 30, patchSize: 4 }).error?.issues[0]).toMatchObject({
      path: ['patchSize'],
    });
  });
});
