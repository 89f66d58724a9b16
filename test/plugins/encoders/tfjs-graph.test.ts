import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncoderCtx, ImageEncoder } from '../../../src/core/model/encoder';
import { modelDir, stableName } from '../../../src/core/nn';
import { tfjsGraph } from '../../../src/plugins/encoders/tfjs-graph';
import {
  describeModuleContract,
  describePluginBasics,
  gradientNorms,
  maxAbsDiff,
  probeScalar,
  randomImages,
  rng,
  rowNorms,
  useBackend,
} from '../../helpers/contract';

let dir: string;
let images: tf.Tensor4D;
const conv = () => join(dir, 'conv');
const flat = () => join(dir, 'flat');
const graph = () => join(dir, 'graph');

/** A graph model written by hand: y = mean over (h, w) of x, then · W (3 × 4). */
function writeGraphModel(path: string, w: number[]): void {
  mkdirSync(path, { recursive: true });
  const shape = (dims: number[]) => ({ dim: dims.map((d) => ({ size: String(d) })) });
  const json = {
    format: 'graph-model',
    generatedBy: 'unir test',
    convertedBy: 'hand',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: shape([-1, 8, 8, 3]) } } },
        {
          name: 'axes',
          op: 'Const',
          attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: shape([2]) } }, dtype: { type: 'DT_INT32' } },
        },
        {
          name: 'm',
          op: 'Mean',
          input: ['x', 'axes'],
          attr: { T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } },
        },
        {
          name: 'w',
          op: 'Const',
          attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: shape([3, 4]) } }, dtype: { type: 'DT_FLOAT' } },
        },
        {
          name: 'y',
          op: 'MatMul',
          input: ['m', 'w'],
          attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } },
        },
      ],
      versions: { producer: 1 },
    },
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'axes', shape: [2], dtype: 'int32' },
          { name: 'w', shape: [3, 4], dtype: 'float32' },
        ],
      },
    ],
  };
  writeFileSync(join(path, 'model.json'), JSON.stringify(json));
  const buf = Buffer.concat([Buffer.from(new Int32Array([1, 2]).buffer), Buffer.from(new Float32Array(w).buffer)]);
  writeFileSync(join(path, 'weights.bin'), buf);
}

beforeAll(async () => {
  await useBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'unir-tfjs-graph-'));
  const a = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu' }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 5, name: 'head' }),
    ],
  });
  await a.save(modelDir(conv()));
  a.dispose();
  const b = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [8 * 8 * 3], units: 6 })] });
  await b.save(modelDir(flat()));
  b.dispose();
  writeGraphModel(
    graph(),
    Array.from({ length: 12 }, (_, i) => (i - 6) / 5),
  );
  images = randomImages(rng(1), 2, 8);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx: EncoderCtx = { scope: 'image', seed: 1, dim: 7, where: 'model.image' };
const build = (cfg: object, c: EncoderCtx = ctx) =>
  tfjsGraph.create(tfjsGraph.configSchema.parse(cfg), c) as Promise<ImageEncoder>;

describe('tfjs-graph', () => {
  describePluginBasics(tfjsGraph);

  describe('a trainable layers model', () => {
    describeModuleContract({
      build: () => build({ path: conv(), imageSize: 8, frozen: false }),
      run: (m, training) => ({ embedding: m.encode(images, { training }) }),
      shapes: { embedding: [2, 7] },
      unitRows: ['embedding'],
    });
  });

  describe('a frozen layers model, output width = D (no projection)', () => {
    describeModuleContract({
      build: () => build({ path: conv(), imageSize: 8 }, { ...ctx, dim: 5 }),
      run: (m, training) => ({ embedding: m.encode(images, { training }) }),
      shapes: { embedding: [2, 5] },
      unitRows: ['embedding'],
      noVariables: true,
    });
  });

  it('unfrozen: the loaded weights become variables with stable names; frozen: only the projection', async () => {
    const open = await build({ path: conv(), imageSize: 8, frozen: false });
    expect(open.variables().map((v) => v.name)).toEqual([
      expect.stringMatching(/^image\/net\/conv2d_\w+\/kernel$/),
      expect.stringMatching(/^image\/net\/conv2d_\w+\/bias$/),
      'image/net/head/kernel',
      'image/net/head/bias',
      'image/proj/w',
      'image/proj/b',
    ]);
    const shut = await build({ path: conv(), imageSize: 8 });
    expect(shut.variables().map(stableName)).toEqual(['image/proj/w', 'image/proj/b']); // `#2`: `open` is alive
    const norms = gradientNorms(shut.variables(), () => probeScalar([shut.encode(images, { training: true })]));
    expect([...norms.values()].every((n) => n > 0)).toBe(true);
    open.dispose();
    shut.dispose();
  });

  it('outputs L2(proj(model(x))) with the same numbers the layers model predicts', async () => {
    const m = await build({ path: conv(), imageSize: 8 });
    const ref = await tfl.loadLayersModel(modelDir(conv()));
    const [w, b] = m.variables();
    const expected = tf.tidy(() => {
      const y = tf.add(tf.matMul(ref.predict(images) as tf.Tensor2D, w as tf.Tensor2D), b!);
      return tf.div(y, tf.norm(y, 2, 1, true));
    });
    const got = m.encode(images, { training: false });
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-6);
    tf.dispose([got, expected]);
    ref.dispose();
    m.dispose();
  });

  it('flattens images for a model with a 2-D input', async () => {
    const m = await build({ path: flat(), imageSize: 8, frozen: false });
    const e = m.encode(images, { training: false });
    expect(e.shape).toEqual([2, 7]);
    expect(rowNorms(e).map((n) => +n.toFixed(5))).toEqual([1, 1]);
    e.dispose();
    m.dispose();
  });

  it('runs a graph model frozen (mean over h, w then · W) and refuses to train one', async () => {
    const m = await build({ path: graph(), imageSize: 8 }, { ...ctx, dim: 4 });
    expect(m.variables()).toEqual([]);
    const W = tf.tensor2d(
      Array.from({ length: 12 }, (_, i) => (i - 6) / 5),
      [3, 4],
    );
    const expected = tf.tidy(() => {
      const y = tf.matMul(tf.mean(images, [1, 2]) as tf.Tensor2D, W);
      return tf.div(y, tf.norm(y, 2, 1, true));
    });
    const got = m.encode(images, { training: false });
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-6);
    tf.dispose([W, got, expected]);
    m.dispose();
    await expect(build({ path: graph(), frozen: false, imageSize: 8 })).rejects.toThrow(
      /model\.image\.frozen: .*graph is a graph model, whose weights tfjs cannot train; set frozen: true or export a layers model/,
    );
  });

  it('names the missing path and a model whose input does not fit the images', async () => {
    await expect(build({})).rejects.toThrow(
      /^model\.image\.path: set it to a tfjs model directory \(model\.json \+ weights\)$/,
    );
    await expect(build({ path: join(dir, 'missing') })).rejects.toThrow(/missing\/model\.json: no such file/);
    await expect(build({ path: flat(), imageSize: 4 })).rejects.toThrow(
      /model\.image\.path: .*flat takes inputs of shape \[null,192\]; expected \[null, h, w, 3\] or \[null, 48\]/,
    );
  });
});
