import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors';
import type { EncoderCtx, TextEncoder } from '../../../src/core/model/encoder';
import { setProgressSink } from '../../../src/core/pretrained/progress';
import { loadUseLite, USE_LITE_EN_DIR, type UseLite } from '../../../src/core/pretrained/use-lite';
import type { EncodedBatch } from '../../../src/core/text/tokenizer';
import { useLiteEn } from '../../../src/plugins/encoders/use-lite-en';
import { wordNgram } from '../../../src/plugins/tokenizers/word-ngram';
import { describeModuleContract, describePluginBasics, leakedTensors, useBackend } from '../../helpers/contract';

const tokenizer = wordNgram.create(wordNgram.configSchema.parse({ buckets: 512 }), undefined);
const TEXTS = ['How old are you?', 'What is your age?', 'The weather is nice today.', 'grinning face'];
const batch = (texts: readonly string[]): EncodedBatch => tokenizer.encode(texts);
const ctx = (dim = 16): EncoderCtx => ({ scope: 'text', seed: 3, dim, where: 'model.text', tokenizer });
const build = (cfg: object, c = ctx()) =>
  useLiteEn.create(useLiteEn.configSchema.parse(cfg), c) as Promise<TextEncoder>;

let cacheDir: string;
const lines: string[] = [];
let restore: (l: string) => void;
let use: UseLite;

beforeAll(async () => {
  await useBackend('wasm');
  cacheDir = mkdtempSync(join(tmpdir(), 'unir-use-cache-'));
  process.env.UNIR_CACHE_DIR = cacheDir;
  restore = setProgressSink((l) => lines.push(l));
  use = await loadUseLite(USE_LITE_EN_DIR, 'model.text');
});
afterAll(() => {
  use.dispose();
  setProgressSink(restore);
  delete process.env.UNIR_CACHE_DIR;
  rmSync(cacheDir, { recursive: true, force: true });
});

const cos = (a: Float32Array, i: number, j: number, d = 512) => {
  let s = 0,
    na = 0,
    nb = 0;
  for (let k = 0; k < d; k++) {
    s += a[i * d + k]! * a[j * d + k]!;
    na += a[i * d + k]! ** 2;
    nb += a[j * d + k]! ** 2;
  }
  return s / Math.sqrt(na * nb);
};

describe('use-lite-en', () => {
  describePluginBasics(useLiteEn);

  it("the synchronous path equals the graph's own executeAsync, incl. unknown symbols, a text over 128 tokens and an empty one", async () => {
    const long = Array.from({ length: 90 }, (_, i) => `word${i}`).join(' '); // > 128 pieces: the graph clips
    const texts = [...TEXTS, 'cat 😹😹 face', long, ''];
    const ids = texts.map((t) => (t ? use.tokenizer.encode(t) : use.tokenizer.encode(' ')));
    expect(ids[5]!.length).toBeGreaterThan(use.maxLength);
    const sync = use.extract(texts);
    const ref = await use.embedAsync(ids);
    expect(sync.length).toBe(texts.length * 512);
    let diff = 0;
    for (let i = 0; i < sync.length; i++) diff = Math.max(diff, Math.abs(sync[i]! - ref[i]!));
    expect(diff).toBeLessThan(1e-5);
  });

  it('USE behaves like USE: unit-norm 512-d rows; a paraphrase is closer than an unrelated sentence', () => {
    const e = use.extract(TEXTS);
    for (let i = 0; i < TEXTS.length; i++) expect(Math.hypot(...e.subarray(i * 512, (i + 1) * 512))).toBeCloseTo(1, 3);
    expect(cos(e, 0, 1)).toBeGreaterThan(cos(e, 0, 2) + 0.2);
  });

  describe('frozen tower + linear head', () => {
    describeModuleContract({
      build: () => build({}),
      run: (m, training) => ({ embedding: m.encode(batch(TEXTS), { training }).embedding }),
      shapes: { embedding: [4, 16] },
      unitRows: ['embedding'],
    });
  });

  it("head 'none' gives USE's own (normalised) embeddings, and an early fuse hook sees (B, 1, 512) with the batch's mask", async () => {
    const m = await build({ head: 'none' }, ctx(512));
    try {
      expect(m.variables()).toEqual([]);
      const b = batch(TEXTS);
      const seen: number[][] = [];
      const plain = tf.tidy(() => m.encode(b, { training: false }).embedding);
      const fused = tf.tidy(
        () => m.encode(b, { training: false, fuse: (x, mask) => (seen.push(x.shape, mask.shape), x) }).embedding,
      );
      const ref = use.extract(TEXTS);
      const got = plain.dataSync();
      for (let r = 0; r < TEXTS.length; r++) {
        const row = ref.subarray(r * 512, (r + 1) * 512);
        const norm = Math.hypot(...row);
        for (let k = 0; k < 512; k++) expect(Math.abs(got[r * 512 + k]! - row[k]! / norm)).toBeLessThan(1e-5);
      }
      expect(Array.from(fused.dataSync())).toEqual(Array.from(got));
      expect(seen).toEqual([
        [4, 1, 512],
        [4, b.length],
      ]);
      tf.dispose([plain, fused]);
    } finally {
      m.dispose();
    }
  });

  it('caches features on disk: a second encoder reads them back instead of running the model', async () => {
    const a = await build({ head: 'none' }, ctx(512));
    const ea = tf.tidy(() => a.encode(batch(TEXTS), { training: false }).embedding.dataSync());
    a.dispose(); // flushes
    const b = await build({ head: 'none' }, ctx(512));
    const before = tf.memory().numTensors;
    const eb = tf.tidy(() => b.encode(batch(TEXTS), { training: false }).embedding.dataSync());
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(eb)).toEqual(Array.from(ea));
    expect(lines.some((l) => /use-lite-en': loaded .* 4 cached features/.test(l))).toBe(true);
    b.dispose();
  });

  it('a training table is encoded in full on its first batch, with progress and items/s', async () => {
    const corpus = Array.from({ length: 600 }, (_, i) => `caption number ${i}`);
    const m = await build({}, ctx());
    lines.length = 0;
    const b = { ...batch(corpus.slice(0, 3)), corpus };
    tf.dispose(tf.tidy(() => m.encode(b, { training: true }).embedding));
    expect(
      lines.some((l) =>
        /encoded model\.text 'use-lite-en', 600 items of a training table: 600 items in [\d.]+ s \(\d+ items\/s\)/.test(
          l,
        ),
      ),
    ).toBe(true);
    m.dispose();
  });

  it('model files that change invalidate their cached features (the old folder is removed)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'unir-use-copy-'));
    try {
      cpSync(USE_LITE_EN_DIR, copy, { recursive: true });
      writeFileSync(join(copy, 'NOTES.txt'), 'a copy of the model\n'); // not byte-identical to node_modules' (that one shares its features)
      const a = await build({ path: copy, head: 'none' }, ctx(512));
      tf.dispose(tf.tidy(() => a.encode(batch(TEXTS), { training: false }).embedding));
      a.dispose();
      const dirs = () => readdirSync(join(cacheDir, 'features')).filter((d) => d.startsWith('use-lite-en-'));
      const first = dirs();
      writeFileSync(join(copy, 'NOTES.txt'), 'a changed copy of the model\n');
      const b = await build({ path: copy, head: 'none' }, ctx(512));
      expect(
        lines.some((l) => l.includes('removed cached features of')),
        lines.join('\n'),
      ).toBe(true);
      expect(lines.at(-1)).toMatch(/0 cached features/);
      b.dispose();
      expect(dirs().length).toBe(first.length); // one folder replaced by another
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('bad input: freeze false, a missing folder, a folder without vocab.json → one-line errors naming the fix', async () => {
    expect(useLiteEn.configSchema.safeParse({ freeze: false }).error?.issues[0]?.message).toMatch(
      /graph model, which tfjs cannot train; keep freeze: true/,
    );
    await expect(build({ path: '/nonexistent/use' })).rejects.toThrow(UserError);
    await expect(build({ path: '/nonexistent/use' })).rejects.toThrow(
      /model\.text\.path: \/nonexistent\/use does not exist/,
    );
    const bad = mkdtempSync(join(tmpdir(), 'unir-use-bad-'));
    try {
      cpSync(USE_LITE_EN_DIR, bad, { recursive: true });
      rmSync(join(bad, 'vocab.json'));
      await expect(build({ path: bad })).rejects.toThrow(
        /vocab\.json is missing; USE lite needs its vocab\.json next to model\.json/,
      );
      await expect(build({ featureDim: 768 })).rejects.toThrow(
        /featureDim: .*model\.json outputs 512-wide features, not 768/,
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('leaks no tensors across load, encode with misses and hits, dispose', async () => {
    expect(
      await leakedTensors(async () => {
        const m = await build({ head: 'mlp', headHidden: 8 });
        tf.dispose(tf.tidy(() => m.encode(batch(['a new text', ...TEXTS]), { training: true }).embedding));
        m.dispose();
      }),
    ).toBe(0);
  });
});
