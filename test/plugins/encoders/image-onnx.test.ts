import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncoderCtx, ImageEncoder } from '../../../src/core/model/encoder';
import { setProgressSink } from '../../../src/core/pretrained/progress';
import { imageOnnx } from '../../../src/plugins/encoders/image-onnx';
import { FIXTURES, IMAGE } from '../../../scripts/make-pretrained-fixtures';
import {
  describeModuleContract,
  describePluginBasics,
  leakedTensors,
  randomImages,
  rng,
  useBackend,
} from '../../helpers/contract';
import { imageEncoderGraph, writeOnnx } from '../../helpers/onnx-writer';

const DIR = join(FIXTURES, 'image-onnx');
const ctx = (dim = 4): EncoderCtx => ({ scope: 'image', seed: 2, dim, where: 'model.image' });
const build = (cfg: object, c = ctx()) =>
  imageOnnx.create(imageOnnx.configSchema.parse({ path: DIR, imageSize: 8, ...cfg }), c) as Promise<ImageEncoder>;

let cacheDir: string;
const lines: string[] = [];
let restore: (l: string) => void;
beforeAll(async () => {
  await useBackend('wasm');
  cacheDir = mkdtempSync(join(tmpdir(), 'unir-onnx-img-cache-'));
  process.env.UNIR_CACHE_DIR = cacheDir;
  restore = setProgressSink((l) => lines.push(l));
});
afterAll(() => {
  setProgressSink(restore);
  delete process.env.UNIR_CACHE_DIR;
  rmSync(cacheDir, { recursive: true, force: true });
});

/** The oracle: the fixture graph in tfjs: tanh(flatten(NCHW((x − mean) / std)) · W + b), unit rows. */
function oracle(images: tf.Tensor4D): number[][] {
  const { W, b } = imageEncoderGraph(IMAGE.S, IMAGE.F, IMAGE.seed);
  return tf.tidy(() => {
    let x: tf.Tensor4D = images;
    if (x.shape[1] !== IMAGE.S) x = tf.image.resizeBilinear(x, [IMAGE.S, IMAGE.S]);
    const nchw = tf.transpose(tf.div(tf.sub(x, 0.5), 0.25), [0, 3, 1, 2]);
    const y = tf.tanh(
      tf.add(
        tf.matMul(tf.reshape(nchw, [x.shape[0], -1]), tf.tensor2d(W, [3 * IMAGE.S * IMAGE.S, IMAGE.F])),
        tf.tensor1d(b),
      ),
    );
    return tf.div(y, tf.norm(y, 'euclidean', 1, true)).arraySync() as number[][];
  });
}
const maxDiff = (a: number[][], b: number[][]) =>
  Math.max(...a.flatMap((r, i) => r.map((x, j) => Math.abs(x - b[i]![j]!))));
const embed = (m: ImageEncoder, x: tf.Tensor4D, training = false) =>
  tf.tidy(() => m.encode(x, { training }).arraySync());

describe('image-onnx', () => {
  describePluginBasics(imageOnnx);

  it("features = the graph computed in tfjs, with preprocessor_config.json's size, mean and std (NCHW)", async () => {
    const x = randomImages(rng(3), 3, 8);
    const m = await build({ head: 'none', normalize: false, cache: false }, ctx(IMAGE.F));
    expect(lines.at(-1)).toMatch(/8×8 NCHW, output image_embeds, F 6\)/);
    expect(maxDiff(embed(m, x), oracle(x))).toBeLessThan(1e-5);
    m.dispose();
    x.dispose();
  });

  it('resizes data images of another size (16 → 8, bilinear) before the model', async () => {
    const x = randomImages(rng(4), 2, 16);
    const m = await build({ imageSize: 16, head: 'none', normalize: false, cache: false }, ctx(IMAGE.F));
    expect(maxDiff(embed(m, x), oracle(x))).toBeLessThan(1e-5);
    m.dispose();
    x.dispose();
  });

  describe('frozen tower + linear head', () => {
    let x: tf.Tensor4D;
    beforeAll(() => void (x = randomImages(rng(5), 2, 8)));
    afterAll(() => x.dispose());
    describeModuleContract({
      build: () => build({ cache: false }),
      run: (m, training) => ({ embedding: m.encode(x, { training }) }),
      shapes: { embedding: [2, 4] },
      unitRows: ['embedding'],
    });
  });

  it('caches by pixel content: evaluation images are kept, a training image only when it comes back', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'unir-onnx-img-'));
    try {
      cpSync(DIR, copy, { recursive: true });
      writeFileSync(join(copy, 'NOTE'), 'copy\n');
      const m = await build({ path: copy });
      const evalSet = randomImages(rng(6), 3, 8);
      const augmented = randomImages(rng(7), 2, 8);
      const e1 = embed(m, evalSet);
      embed(m, augmented, true); // seen once in training: computed, not kept
      embed(m, augmented, true); // seen again: kept
      const fresh = randomImages(rng(8), 1, 8);
      embed(m, fresh, true); // once: not kept
      m.dispose();
      const n = await build({ path: copy });
      expect(lines.at(-1)).toMatch(/; 5 cached features$/);
      expect(maxDiff(embed(n, evalSet), e1)).toBe(0);
      n.dispose();
      tf.dispose([evalSet, augmented, fresh]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('bad input: one line naming the file and the fix', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'unir-onnx-img-bad-'));
    try {
      expect(imageOnnx.configSchema.safeParse({ freeze: false }).error?.issues[0]?.message).toMatch(
        /^ONNX towers run inference only/,
      );
      await expect(build({ path: bad })).rejects.toThrow(
        /^model\.image\.path: .* has no model\.onnx; copy the model there as model\.onnx$/,
      );
      writeFileSync(join(bad, 'model.onnx'), writeOnnx(imageEncoderGraph(8, 6, 1).graph));
      await expect(build({ path: bad, inputSize: 16 })).rejects.toThrow(
        /^model\.image\.inputSize: .*model\.onnx takes 8×8 images, not 16; set inputSize: 8/,
      );
      await expect(build({ path: bad, featureDim: 512 })).rejects.toThrow(
        /^model\.image\.featureDim: .*outputs 6-wide features, not 512/,
      );
      const g = imageEncoderGraph(8, 6, 1).graph;
      g.inputs[0]!.shape = ['batch', 3, 'height', 'width'];
      writeFileSync(join(bad, 'model.onnx'), writeOnnx(g));
      await expect(build({ path: bad })).rejects.toThrow(
        /^model\.image\.inputSize: .* does not fix its input side and the folder has no preprocessor_config\.json saying it; set inputSize/,
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('leaks no tensors: load, encode, dispose', async () => {
    const x = randomImages(rng(9), 2, 8);
    expect(
      await leakedTensors(async () => {
        const m = await build({});
        embed(m, x);
        embed(m, x, true);
        m.dispose();
      }),
    ).toBe(0);
    x.dispose();
  });
});
