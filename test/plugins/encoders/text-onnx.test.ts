import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncoderCtx, TextEncoder } from '../../../src/core/model/encoder';
import { setProgressSink } from '../../../src/core/pretrained/progress';
import { ModelTokenizer } from '../../../src/core/pretrained/text-inputs';
import type { EncodedBatch } from '../../../src/core/text/tokenizer';
import { textOnnx } from '../../../src/plugins/encoders/text-onnx';
import { wordNgram } from '../../../src/plugins/tokenizers/word-ngram';
import { FIXTURES, fixtureFiles, TEXT } from '../../../scripts/make-pretrained-fixtures';
import { describeModuleContract, describePluginBasics, leakedTensors, useBackend } from '../../helpers/contract';
import { textEncoderGraph, writeOnnx } from '../../helpers/onnx-writer';

const DIR = join(FIXTURES, 'text-onnx');
const tokenizer = wordNgram.create(wordNgram.configSchema.parse({ buckets: 512 }), undefined);
const TEXTS = ['the dog', 'show me a photo of my cat!', 'cat', 'unhappy dogs from last month'];
const batch = (texts: readonly string[]): EncodedBatch => tokenizer.encode(texts);
const ctx = (dim = 5): EncoderCtx => ({ scope: 'text', seed: 2, dim, where: 'model.text', tokenizer });
const build = (cfg: object, c = ctx()) =>
  textOnnx.create(textOnnx.configSchema.parse({ path: DIR, ...cfg }), c) as Promise<TextEncoder>;
const embed = (m: TextEncoder, texts: readonly string[]) =>
  tf.tidy(() => m.encode(batch(texts), { training: false }).embedding.arraySync());

let cacheDir: string;
const lines: string[] = [];
let restore: (l: string) => void;
beforeAll(async () => {
  await useBackend('wasm');
  cacheDir = mkdtempSync(join(tmpdir(), 'unir-onnx-cache-'));
  process.env.UNIR_CACHE_DIR = cacheDir;
  restore = setProgressSink((l) => lines.push(l));
});
afterAll(() => {
  setProgressSink(restore);
  delete process.env.UNIR_CACHE_DIR;
  rmSync(cacheDir, { recursive: true, force: true });
});

/** The oracle: the fixture's graph computed in tfjs from its weights: tanh((E[ids] + Tt[0]) · W) per token, pooled. */
function oracle(texts: readonly string[], pooling: 'mean' | 'cls'): number[][] {
  const { E, Tt, W } = textEncoderGraph(TEXT.V, TEXT.H, TEXT.seed);
  const tok = ModelTokenizer.load(join(DIR, 'tokenizer.json'), 'oracle');
  return tf.tidy(() =>
    texts.map((t) => {
      const ids = tok.ids(t, 128);
      const typ0 = tf.slice(tf.tensor2d(Tt, [2, TEXT.H]), [0, 0], [1, TEXT.H]);
      const h = tf.tanh(
        tf.matMul(tf.add(tf.gather(tf.tensor2d(E, [TEXT.V, TEXT.H]), ids), typ0), tf.tensor2d(W, [TEXT.H, TEXT.H])),
      ) as tf.Tensor2D;
      const v = pooling === 'cls' ? tf.reshape(tf.slice(h, [0, 0], [1, TEXT.H]), [TEXT.H]) : tf.mean(h, 0);
      return Array.from(tf.div(v, tf.norm(v)).dataSync());
    }),
  );
}

const maxDiff = (a: number[][], b: number[][]) =>
  Math.max(...a.flatMap((r, i) => r.map((x, j) => Math.abs(x - b[i]![j]!))));

describe('text-onnx', () => {
  describePluginBasics(textOnnx);

  it('the fixtures are what scripts/make-pretrained-fixtures.ts writes', () => {
    for (const [rel, data] of Object.entries(fixtureFiles()))
      expect(Buffer.compare(readFileSync(join(FIXTURES, rel)), Buffer.from(data))).toBe(0);
  });

  it("the tokenizer.json's WordPiece ids with the model's template: [CLS] the dog [SEP] → 2 5 7 3", () => {
    const tok = ModelTokenizer.load(join(DIR, 'tokenizer.json'), 'x');
    expect(tok.ids('the dog', 128)).toEqual([2, 5, 7, 3]);
    expect(tok.ids('the dog cat photo', 4)).toEqual([2, 5, 7, 3]); // content truncated, specials kept
  });

  it('pooled features = the same graph computed in tfjs (mean over real tokens, and CLS), for texts of different lengths in one batch', async () => {
    for (const pooling of ['mean', 'cls'] as const) {
      const m = await build(
        { output: 'last_hidden_state', pooling, head: 'none', normalize: false, cache: false },
        ctx(TEXT.H),
      );
      expect(maxDiff(embed(m, TEXTS), oracle(TEXTS, pooling))).toBeLessThan(1e-5);
      m.dispose();
    }
  });

  it("by default reads the model's (B, F) output (sentence_embedding), pooled by the model", async () => {
    const m = await build({ head: 'none', cache: false }, ctx(TEXT.H));
    expect(lines.at(-1)).toMatch(/output sentence_embedding, F 8\)/);
    // the graph's ReduceMean counts padding rows, which are zero: one text alone = the masked mean
    expect(
      maxDiff(embed(m, ['unhappy dogs from last month']), oracle(['unhappy dogs from last month'], 'mean')),
    ).toBeLessThan(1e-5);
    m.dispose();
  });

  it('batching does not change features: batchSize 1 and 64 agree', async () => {
    const a = await build({ batchSize: 1, cache: false, output: 'last_hidden_state' });
    const b = await build({ batchSize: 64, cache: false, output: 'last_hidden_state' });
    expect(maxDiff(embed(a, TEXTS), embed(b, TEXTS))).toBeLessThan(1e-6);
    a.dispose();
    b.dispose();
  });

  describe('frozen tower + mlp head', () => {
    describeModuleContract({
      build: () => build({ head: 'mlp', headHidden: 6, cache: false }),
      run: (m, training) => ({ embedding: m.encode(batch(TEXTS), { training }).embedding }),
      shapes: { embedding: [4, 5] },
      unitRows: ['embedding'],
    });
  });

  it('training the head on top moves the head only: 30 Adam steps pull two texts together, the tower is untouched', async () => {
    const m = await build({ cache: false });
    const pair = batch(['the dog', 'a photo of my cat']);
    const cosine = () =>
      tf.tidy(() => {
        const e = m.encode(pair, { training: true }).embedding;
        return tf.sum(tf.mul(tf.slice(e, [0, 0], [1, -1]), tf.slice(e, [1, 0], [1, -1]))) as tf.Scalar;
      });
    const read = () => {
      const c = cosine();
      const v = c.dataSync()[0]!;
      c.dispose();
      return v;
    };
    const before = read();
    const opt = tf.train.adam(0.05);
    for (let i = 0; i < 30; i++) tf.dispose(opt.minimize(() => tf.neg(cosine()), true, m.variables()) ?? []);
    const after = read();
    expect(m.variables().map((v) => v.name)).toEqual(['text/head/w', 'text/head/b']);
    expect(after).toBeGreaterThan(0.99);
    expect(after).toBeGreaterThan(before);
    opt.dispose();
    m.dispose();
  });

  it('caches features per text on disk; a second encoder reads them; changed model files invalidate them', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'unir-onnx-copy-'));
    try {
      cpSync(DIR, copy, { recursive: true });
      writeFileSync(join(copy, 'README.md'), 'a copy\n'); // its own fingerprint
      const a = await build({ path: copy });
      const ea = embed(a, TEXTS);
      a.dispose();
      const b = await build({ path: copy });
      expect(lines.at(-1)).toMatch(/; 4 cached features$/);
      expect(embed(b, TEXTS)).toEqual(ea);
      b.dispose();
      const folders = () => readdirSync(join(cacheDir, 'features')).filter((d) => d.startsWith('text-onnx-'));
      const n = folders().length;
      // new weights: a model with another seed in the same folder
      writeFileSync(join(copy, 'model.onnx'), writeOnnx(textEncoderGraph(TEXT.V, TEXT.H, 99).graph));
      const c = await build({ path: copy });
      expect(lines.some((l) => l.includes(`removed cached features of ${copy}`))).toBe(true);
      expect(lines.at(-1)).toMatch(/; 0 cached features$/);
      expect(maxDiff(embed(c, TEXTS), ea)).toBeGreaterThan(0.01);
      c.dispose();
      expect(folders().length).toBe(n);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('bad input: one line naming the file and the fix', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'unir-onnx-bad-'));
    try {
      expect(textOnnx.configSchema.safeParse({ freeze: false }).error?.issues[0]?.message).toMatch(
        /^ONNX towers run inference only .*keep freeze: true/,
      );
      await expect(build({ path: join(bad, 'nope') })).rejects.toThrow(
        /^model\.text\.path: .*nope does not exist; point it at the folder holding model\.onnx$/,
      );
      copyFileSync(join(DIR, 'tokenizer.json'), join(bad, 'tokenizer.json'));
      writeFileSync(join(bad, 'model.onnx'), 'not a model');
      await expect(build({ path: bad })).rejects.toThrow(
        /model\.onnx is not an ONNX model onnxruntime can load \(.*\); export the model to ONNX again/,
      );
      writeFileSync(join(bad, 'model.onnx'), writeOnnx(textEncoderGraph(20, TEXT.H, 1).graph)); // 20 rows < 34 tokens
      await expect(build({ path: bad })).rejects.toThrow(
        /^model\.text\.tokenizer: .*tokenizer\.json \(34 tokens\) does not fit .*model\.onnx \(.*\); use the tokenizer\.json exported with this model$/,
      );
      await expect(build({ featureDim: 384 })).rejects.toThrow(
        /^model\.text\.featureDim: .*model\.onnx outputs 8-wide features, not 384; set featureDim: 8/,
      );
      await expect(build({ output: 'pooler_output' })).rejects.toThrow(
        /^model\.text\.output: .*has no output 'pooler_output'; its outputs: last_hidden_state \[batch, sequence, 8\], sentence_embedding \[batch, 8\]$/,
      );
      await expect(build({ head: 'none' }, ctx(16))).rejects.toThrow(
        /^model\.text\.head: 'none' keeps the 8-wide pretrained features, but model\.dim is 16/,
      );
      rmSync(join(bad, 'tokenizer.json'));
      await expect(build({ path: bad })).rejects.toThrow(
        /^model\.text\.tokenizer: .*tokenizer\.json does not exist; copy the tokenizer\.json exported with the model/,
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('leaks no tensors: load, encode (misses, then hits), dispose', async () => {
    expect(
      await leakedTensors(async () => {
        const m = await build({});
        embed(m, TEXTS);
        embed(m, TEXTS);
        m.dispose();
      }),
    ).toBe(0);
  });
});
