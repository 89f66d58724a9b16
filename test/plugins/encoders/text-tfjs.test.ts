import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncoderCtx, TextEncoder } from '../../../src/core/model/encoder';
import { modelDir } from '../../../src/core/nn/layers-io';
import { setProgressSink } from '../../../src/core/pretrained/progress';
import { ModelTokenizer } from '../../../src/core/pretrained/text-inputs';
import type { EncodedBatch } from '../../../src/core/text/tokenizer';
import { textTfjs } from '../../../src/plugins/encoders/text-tfjs';
import { wordNgram } from '../../../src/plugins/tokenizers/word-ngram';
import {
  describeModuleContract,
  describePluginBasics,
  gradientNorms,
  leakedTensors,
  probeScalar,
  useBackend,
} from '../../helpers/contract';
import { seededFloats } from '../../helpers/onnx-writer';

const TOKENIZER = join(__dirname, '../../fixtures/tokenizers/wordpiece-tiny.json');
const words = wordNgram.create(wordNgram.configSchema.parse({ buckets: 512 }), undefined);
const TEXTS = ['the dog', 'show me a photo of my cat!', 'cat', 'unhappy dogs from last month'];
const batch = (texts: readonly string[]): EncodedBatch => words.encode(texts);
const ctx = (dim = 5): EncoderCtx => ({ scope: 'text', seed: 2, dim, where: 'model.text', tokenizer: words });

let dir: string;
let cacheDir: string;
const lines: string[] = [];
let restore: (l: string) => void;
const layers = () => join(dir, 'layers');
const graph = () => join(dir, 'graph');
const build = (cfg: object, c = ctx()) =>
  textTfjs.create(textTfjs.configSchema.parse({ path: layers(), ...cfg }), c) as Promise<TextEncoder>;
const embed = (m: TextEncoder, texts: readonly string[]) =>
  tf.tidy(() => m.encode(batch(texts), { training: false }).embedding.arraySync());
const maxDiff = (a: number[][], b: number[][]) =>
  Math.max(...a.flatMap((r, i) => r.map((x, j) => Math.abs(x - b[i]![j]!))));

/** A layers model: ids (B, T) → Embedding(34, 8) → Dense(8, tanh) → (B, T, 8), seeded weights. */
function textModel(): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [
      tfl.layers.embedding({ inputDim: 34, outputDim: 8, inputShape: [null] }),
      tfl.layers.dense({ units: 8, activation: 'tanh' }),
    ],
  });
  m.setWeights([
    tf.tensor2d(seededFloats(34 * 8, 1), [34, 8]),
    tf.tensor2d(seededFloats(64, 2), [8, 8]),
    tf.tensor1d(seededFloats(8, 3)),
  ]);
  return m;
}

/** A graph model written by hand: input_ids (B, T) int32 → GatherV2(E) → Mean over T → (B, 8). */
function writeGraph(path: string, E: Float32Array): void {
  mkdirSync(path, { recursive: true });
  const shape = (dims: number[]) => ({ dim: dims.map((d) => ({ size: String(d) })) });
  writeFileSync(
    join(path, 'model.json'),
    JSON.stringify({
      format: 'graph-model',
      generatedBy: 'unir test',
      convertedBy: 'hand',
      modelTopology: {
        node: [
          {
            name: 'input_ids',
            op: 'Placeholder',
            attr: { dtype: { type: 'DT_INT32' }, shape: { shape: shape([-1, -1]) } },
          },
          {
            name: 'E',
            op: 'Const',
            attr: {
              value: { tensor: { dtype: 'DT_FLOAT', tensorShape: shape([34, 8]) } },
              dtype: { type: 'DT_FLOAT' },
            },
          },
          {
            name: 'zero',
            op: 'Const',
            attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: shape([]) } }, dtype: { type: 'DT_INT32' } },
          },
          {
            name: 'one',
            op: 'Const',
            attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: shape([]) } }, dtype: { type: 'DT_INT32' } },
          },
          {
            name: 'g',
            op: 'GatherV2',
            input: ['E', 'input_ids', 'zero'],
            attr: { Tparams: { type: 'DT_FLOAT' }, Tindices: { type: 'DT_INT32' }, Taxis: { type: 'DT_INT32' } },
          },
          {
            name: 'y',
            op: 'Mean',
            input: ['g', 'one'],
            attr: { T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } },
          },
        ],
        versions: { producer: 1 },
      },
      weightsManifest: [
        {
          paths: ['weights.bin'],
          weights: [
            { name: 'E', shape: [34, 8], dtype: 'float32' },
            { name: 'zero', shape: [], dtype: 'int32' },
            { name: 'one', shape: [], dtype: 'int32' },
          ],
        },
      ],
    }),
  );
  writeFileSync(
    join(path, 'weights.bin'),
    Buffer.concat([Buffer.from(E.buffer), Buffer.from(Int32Array.of(0, 1).buffer)]),
  );
}

beforeAll(async () => {
  await useBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'unir-text-tfjs-'));
  cacheDir = mkdtempSync(join(tmpdir(), 'unir-text-tfjs-cache-'));
  process.env.UNIR_CACHE_DIR = cacheDir;
  restore = setProgressSink((l) => lines.push(l));
  const m = textModel();
  await m.save(modelDir(layers()));
  m.dispose();
  copyFileSync(TOKENIZER, join(layers(), 'tokenizer.json'));
  writeGraph(graph(), seededFloats(34 * 8, 7));
  copyFileSync(TOKENIZER, join(graph(), 'tokenizer.json'));
});
afterAll(() => {
  setProgressSink(restore);
  delete process.env.UNIR_CACHE_DIR;
  rmSync(dir, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

/** The oracle: the same layers model run with predict() on each text alone, mean over its tokens, unit rows. */
function oracle(texts: readonly string[], pooling: 'mean' | 'cls'): number[][] {
  const tok = ModelTokenizer.load(TOKENIZER, 'oracle');
  const m = textModel();
  const out = texts.map((t) =>
    tf.tidy(() => {
      const ids = tok.ids(t, 128);
      const h = tf.squeeze(m.predict(tf.tensor2d([ids], [1, ids.length])) as tf.Tensor, [0]) as tf.Tensor2D; // (T, 8)
      const v = pooling === 'cls' ? tf.squeeze(tf.slice(h, [0, 0], [1, 8]), [0]) : tf.mean(h, 0);
      return Array.from(tf.div(v, tf.norm(v)).dataSync());
    }),
  );
  m.dispose();
  return out;
}

describe('text-tfjs', () => {
  describePluginBasics(textTfjs);

  it('frozen layers model: features = the model run with predict() text by text (mean and cls pooling over padded batches)', async () => {
    for (const pooling of ['mean', 'cls'] as const) {
      const m = await build({ pooling, head: 'none', normalize: false, cache: false }, ctx(8));
      expect(m.variables()).toEqual([]);
      expect(maxDiff(embed(m, TEXTS), oracle(TEXTS, pooling))).toBeLessThan(1e-5);
      m.dispose();
    }
  });

  it("graph model with a (B, F) output: features = mean of the embedding rows of the text's ids", async () => {
    const m = await build({ path: graph(), head: 'none', cache: false }, ctx(8));
    const E = seededFloats(34 * 8, 7);
    const tok = ModelTokenizer.load(TOKENIZER, 'oracle');
    const want = TEXTS.map((t) => {
      const ids = tok.ids(t, 128);
      const v = Array.from({ length: 8 }, (_, h) => ids.reduce((s, id) => s + E[id * 8 + h]!, 0) / ids.length);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    });
    expect(maxDiff(embed(m, [TEXTS[0]!]), [want[0]!])).toBeLessThan(1e-5); // one text: no padding rows in the mean
    m.dispose();
  });

  describe('partially unfrozen (freeze: 1): the last layer with weights trains with the head', () => {
    describeModuleContract({
      build: () => build({ freeze: 1 }),
      run: (m, training) => ({ embedding: m.encode(batch(TEXTS), { training }).embedding }),
      shapes: { embedding: [4, 5] },
      unitRows: ['embedding'],
    });
  });

  it('freeze: 1 unfreezes the Dense layer only; freeze: false both; an optimizer step leaves the frozen embedding as it was', async () => {
    const one = await build({ freeze: 1 });
    expect(one.variables().map((v) => v.name)).toEqual([
      'text/tower/dense_Dense1/kernel',
      'text/tower/dense_Dense1/bias',
      'text/head/w',
      'text/head/b',
    ]);
    const all = await build({ freeze: false });
    expect(all.variables().length).toBe(5);
    const norms = gradientNorms(all.variables(), () =>
      probeScalar([all.encode(batch(TEXTS), { training: true }).embedding]),
    );
    expect([...norms.values()].every((n) => n > 0)).toBe(true);
    const base = await build({ cache: false, head: 'none', normalize: false }, ctx(8));
    const before = embed(base, TEXTS);
    base.dispose();
    const opt = tf.train.sgd(0.5);
    tf.dispose(
      opt.minimize(
        () => probeScalar([one.encode(batch(TEXTS), { training: true }).embedding]),
        true,
        one.variables(),
      ) ?? [],
    );
    opt.dispose();
    // the frozen base is untouched: a fresh frozen encoder on the same files gives the same features
    const again = await build({ cache: false, head: 'none', normalize: false }, ctx(8));
    expect(maxDiff(embed(again, TEXTS), before)).toBe(0);
    for (const m of [one, all, again]) m.dispose();
  });

  it('caches frozen features; an unfrozen tower does not', async () => {
    const a = await build({});
    embed(a, TEXTS);
    a.dispose();
    const b = await build({});
    expect(lines.at(-1)).toMatch(/frozen; 4 cached features$/);
    b.dispose();
    const c = await build({ freeze: 1 });
    expect(lines.at(-1)).toMatch(/2 weights unfrozen \(last 1 layers\), no feature cache$/);
    c.dispose();
  });

  it('bad input: one line naming the file and the fix', async () => {
    await expect(build({ path: graph(), freeze: false })).rejects.toThrow(
      /^model\.text\.freeze: .*model\.json is a graph model, whose weights tfjs cannot train; set freeze: true/,
    );
    await expect(build({ freeze: 3 })).rejects.toThrow(
      /^model\.text\.freeze: .*model\.json has 2 layers with weights, so the last 3 cannot train/,
    );
    await expect(build({ path: join(dir, 'none') })).rejects.toThrow(
      /none\/model\.json: no such file; point 'path' at a tfjs model directory/,
    );
    const small = join(dir, 'small');
    const m = tfl.sequential({ layers: [tfl.layers.embedding({ inputDim: 20, outputDim: 8, inputShape: [null] })] });
    await m.save(modelDir(small));
    m.dispose();
    copyFileSync(TOKENIZER, join(small, 'tokenizer.json'));
    await expect(build({ path: small })).rejects.toThrow(
      /^model\.text\.tokenizer: .*tokenizer\.json has 34 tokens but .*model\.json's embedding has 20 rows; use the tokenizer\.json saved with this model$/,
    );
    await expect(build({ featureDim: 768 })).rejects.toThrow(
      /^model\.text\.featureDim: .*model\.json outputs 8-wide features, not 768/,
    );
  });

  it('leaks no tensors: frozen and unfrozen towers, encode, dispose', async () => {
    expect(
      await leakedTensors(async () => {
        for (const freeze of [true, 1, false]) {
          const m = await build({ freeze });
          embed(m, TEXTS);
          m.dispose();
        }
        const g = await build({ path: graph() });
        embed(g, TEXTS);
        g.dispose();
      }),
    ).toBe(0);
  });
});
