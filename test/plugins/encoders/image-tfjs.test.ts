import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncoderCtx, ImageEncoder } from '../../../src/core/model/encoder';
import { modelDir } from '../../../src/core/nn/layers-io';
import { setProgressSink } from '../../../src/core/pretrained/progress';
import { imageTfjs } from '../../../src/plugins/encoders/image-tfjs';
import {
  describeModuleContract,
  describePluginBasics,
  leakedTensors,
  randomImages,
  rng,
  useBackend,
} from '../../helpers/contract';
import { seededFloats } from '../../helpers/onnx-writer';

let dir: string;
let cacheDir: string;
const lines: string[] = [];
let restore: (l: string) => void;
const ctx = (dim = 4): EncoderCtx => ({ scope: 'image', seed: 2, dim, where: 'model.image' });
const build = (cfg: object, c = ctx()) =>
  imageTfjs.create(imageTfjs.configSchema.parse({ path: dir, imageSize: 16, ...cfg }), c) as Promise<ImageEncoder>;
const maxDiff = (a: number[][], b: number[][]) =>
  Math.max(...a.flatMap((r, i) => r.map((x, j) => Math.abs(x - b[i]![j]!))));

/** A layers model on 8×8 images: conv 3×3 (4 filters, relu) → dense 6 per position → (B, 6, 6, 6), seeded weights. */
function imageModel(): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu' }),
      tfl.layers.dense({ units: 6 }),
    ],
  });
  m.setWeights([
    tf.tensor4d(seededFloats(3 * 3 * 3 * 4, 1), [3, 3, 3, 4]),
    tf.tensor1d(seededFloats(4, 2)),
    tf.tensor2d(seededFloats(24, 3), [4, 6]),
    tf.tensor1d(seededFloats(6, 4)),
  ]);
  return m;
}

beforeAll(async () => {
  await useBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'unir-image-tfjs-'));
  cacheDir = mkdtempSync(join(tmpdir(), 'unir-image-tfjs-cache-'));
  process.env.UNIR_CACHE_DIR = cacheDir;
  restore = setProgressSink((l) => lines.push(l));
  const m = imageModel();
  await m.save(modelDir(dir));
  m.dispose();
});
afterAll(() => {
  setProgressSink(restore);
  delete process.env.UNIR_CACHE_DIR;
  rmSync(dir, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('image-tfjs', () => {
  describePluginBasics(imageTfjs);

  it('frozen: features = predict() on the images resized 16 → 8 and scaled to [-1, 1], averaged over positions', async () => {
    const x = randomImages(rng(1), 3, 16);
    const m = await build({ inputRange: 'signed', head: 'none', normalize: false, cache: false }, ctx(6));
    expect(lines.at(-1)).toMatch(/8×8 input, F 6, in \d+ ms; frozen; 0 cached features$/);
    const ref = imageModel();
    const want = tf.tidy(() => {
      const y = tf.mean(ref.predict(tf.sub(tf.mul(tf.image.resizeBilinear(x, [8, 8]), 2), 1)) as tf.Tensor, [1, 2]);
      return tf.div(y, tf.norm(y, 'euclidean', 1, true)).arraySync() as number[][];
    });
    ref.dispose();
    expect(
      maxDiff(
        tf.tidy(() => m.encode(x, { training: false }).arraySync()),
        want,
      ),
    ).toBeLessThan(1e-5);
    m.dispose();
    x.dispose();
  });

  describe('last layer unfrozen (freeze: 1)', () => {
    let x: tf.Tensor4D;
    beforeAll(() => void (x = randomImages(rng(2), 2, 16)));
    afterAll(() => x.dispose());
    describeModuleContract({
      build: () => build({ freeze: 1 }),
      run: (m, training) => ({ embedding: m.encode(x, { training }) }),
      shapes: { embedding: [2, 4] },
      unitRows: ['embedding'],
    });
  });

  it('freeze: 1 trains the dense layer and the head; freeze: false also the conv', async () => {
    const one = await build({ freeze: 1 });
    expect(one.variables().map((v) => v.name)).toEqual([
      'image/tower/dense_Dense1/kernel',
      'image/tower/dense_Dense1/bias',
      'image/head/w',
      'image/head/b',
    ]);
    const all = await build({ freeze: false });
    expect(all.variables().length).toBe(6);
    one.dispose();
    all.dispose();
  });

  it('leaks no tensors', async () => {
    const x = randomImages(rng(3), 2, 16);
    expect(
      await leakedTensors(async () => {
        for (const freeze of [true, 1]) {
          const m = await build({ freeze });
          tf.dispose(tf.tidy(() => m.encode(x, { training: true })));
          m.dispose();
        }
      }),
    ).toBe(0);
    x.dispose();
  });
});
