import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EncoderCtx, ImageEncoder } from '../../../src/core/model/encoder';
import { imageCnn } from '../../../src/plugins/encoders/image-cnn';
import { describeModuleContract, describePluginBasics, randomImages, rng, useBackend } from '../../helpers/contract';

beforeAll(() => useBackend('wasm'));

const ctx: EncoderCtx = { scope: 'image', seed: 4, dim: 6 };
const build = (cfg: object, c: EncoderCtx = ctx) =>
  imageCnn.create(imageCnn.configSchema.parse(cfg), c) as ImageEncoder;

type Img = number[][][]; // (S, S, C)
/** 'same' k×k conv, stride 1, zero padding (TF pads (k-1)/2 before for odd k). */
function conv(x: Img, w: number[][][][], b: number[]): Img {
  const S = x.length,
    k = w.length,
    cout = b.length,
    off = Math.floor((k - 1) / 2);
  return x.map((_, i) =>
    x.map((__, j) =>
      b.map((bo, o) => {
        let s = bo;
        for (let di = 0; di < k; di++)
          for (let dj = 0; dj < k; dj++) {
            const r = i + di - off,
              c = j + dj - off;
            if (r >= 0 && r < S && c >= 0 && c < S) x[r]![c]!.forEach((v, ci) => (s += v * w[di]![dj]![ci]![o]!));
          }
        return s;
      }),
    ),
  );
}
function depthwise(x: Img, w: number[][][][]): Img {
  const S = x.length,
    k = w.length,
    off = Math.floor((k - 1) / 2);
  return x.map((_, i) =>
    x.map((__, j) =>
      x[0]![0]!.map((___, ci) => {
        let s = 0;
        for (let di = 0; di < k; di++)
          for (let dj = 0; dj < k; dj++) {
            const r = i + di - off,
              c = j + dj - off;
            if (r >= 0 && r < S && c >= 0 && c < S) s += x[r]![c]![ci]! * w[di]![dj]![ci]![0]!;
          }
        return s;
      }),
    ),
  );
}
const relu = (x: Img): Img => x.map((r) => r.map((p) => p.map((v) => Math.max(0, v))));
const maxPool = (x: Img): Img =>
  Array.from({ length: Math.floor(x.length / 2) }, (_, i) =>
    Array.from({ length: Math.floor(x.length / 2) }, (__, j) =>
      x[0]![0]!.map((___, c) =>
        Math.max(
          x[2 * i]![2 * j]![c]!,
          x[2 * i + 1]![2 * j]![c]!,
          x[2 * i]![2 * j + 1]![c]!,
          x[2 * i + 1]![2 * j + 1]![c]!,
        ),
      ),
    ),
  );

function reference(m: ImageEncoder, img: Img, separable: boolean): number[] {
  const v = Object.fromEntries(m.variables().map((x) => [x.name, x.arraySync()]));
  let x = img.map((r) => r.map((p) => p.map((c) => 2 * c - 1)));
  x = maxPool(relu(conv(x, v['image/conv.0/w'] as number[][][][], v['image/conv.0/b'] as number[])));
  if (separable) {
    const d = depthwise(x, v['image/conv.1/dw'] as number[][][][]);
    const pw = v['image/conv.1/pw'] as number[][];
    const b = v['image/conv.1/b'] as number[];
    x = d.map((r) => r.map((p) => b.map((bo, o) => p.reduce((s, c, ci) => s + c * pw[ci]![o]!, bo))));
  } else x = conv(x, v['image/conv.1/w'] as number[][][][], v['image/conv.1/b'] as number[]);
  x = maxPool(relu(x));
  const C = x[0]![0]!.length;
  const gap = Array.from({ length: C }, (_, c) => x.flat().reduce((s, p) => s + p[c]!, 0) / (x.length * x.length));
  const w = v['image/proj/w'] as number[][];
  const y = (v['image/proj/b'] as number[]).map((bo, o) => gap.reduce((s, g, c) => s + g * w[c]![o]!, bo));
  const n = Math.hypot(...y);
  return y.map((t) => t / n);
}

describe('image-cnn', () => {
  describePluginBasics(imageCnn);
  for (const separable of [false, true]) {
    describe(separable ? 'depthwise-separable' : 'full convs', () => {
      const cfg = { imageSize: 8, channels: [3, 5], separable };
      let images: tf.Tensor4D;
      beforeAll(() => void (images = randomImages(rng(1), 2, 8)));
      describeModuleContract({
        build: () => build(cfg),
        run: (m, training) => ({ embedding: m.encode(images, { training }) }),
        shapes: { embedding: [2, 6] },
        unitRows: ['embedding'],
      });

      it('matches a loop-by-loop conv/ReLU/max-pool/GAP/projection reference', () => {
        const m = build(cfg);
        // biases non-zero so the reference checks them too
        const r = rng(5);
        for (const v of m.variables())
          if (v.name.endsWith('/b')) v.assign(tf.tensor1d(Array.from({ length: v.size }, () => r() - 0.5)));
        const e = m.encode(images, { training: false });
        const imgs = images.arraySync() as Img[];
        const got = e.arraySync() as number[][];
        imgs.forEach((img, i) =>
          reference(m, img, separable).forEach((r, j) => expect(Math.abs(got[i]![j]! - r)).toBeLessThan(1e-5)),
        );
        e.dispose();
        m.dispose();
      });
    });
  }

  it('builds from its defaults (S 32, channels 32-64-128) and reports FLOPs', () => {
    const m = build({}, { ...ctx, dim: 128 });
    const x = randomImages(rng(3), 2, 32);
    const e = m.encode(x, { training: false });
    expect(e.shape).toEqual([2, 128]);
    expect(m.flops([1, 32, 32, 3])).toBe(
      2 * (32 * 32 * 9 * 3 * 32 + 16 * 16 * 9 * 32 * 64 + 8 * 8 * 9 * 64 * 128 + 128 * 128),
    );
    tf.dispose([x, e]);
    m.dispose();
  });
});
