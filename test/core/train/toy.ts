// A toy model and synthetic data for engine tests: the trainer is exercised without the real encoders.
import * as tf from '@tensorflow/tfjs-core';
import type { ModuleName } from '../../../src/core/config/stage';
import type { EncodedBatch } from '../../../src/core/text/tokenizer';
import type { ImageTable, QueryTable, TrainData } from '../../../src/core/train/batch';
import type { NluOutputs, TrainModel } from '../../../src/core/model/train-model';
import { Rng } from '../../../src/core/rng';
import type { PairPool } from '../../../src/core/train/sampler';
import type { TokenTable } from '../../../src/core/train/tokens';

let instance = 0;

/**
 * Linear "encoders": text = mean of token embeddings → W; image = flatten → W; NLU heads on the text
 * features; fusion adds a projection of the intent distribution. Embeddings are L2-normalised.
 */
export function toyModel(o: {
  vocab: number;
  imageSize: number;
  dim: number;
  intents: number;
  tags: number;
  seed: number;
}): TrainModel {
  const r = new Rng(o.seed);
  const id = instance++;
  const init = (shape: number[], scale: number, name: string) =>
    tf.variable(
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r.next() * 2 - 1) * scale),
        shape,
      ),
      true,
      `toy${id}/${name}`,
    );
  const E = 8;
  const emb = init([o.vocab, E], 0.5, 'emb');
  const wText = init([E, o.dim], 0.5, 'wText');
  const wImage = init([o.imageSize * o.imageSize * 3, o.dim], 0.05, 'wImage');
  const wIntent = init([E, o.intents], 0.5, 'wIntent');
  const wSlot = init([E, o.tags], 0.5, 'wSlot');
  const wFuse = init([o.intents, o.dim], 0.5, 'wFuse');
  const modules: Record<ModuleName, tf.Variable[]> = {
    text: [emb, wText],
    image: [wImage],
    nlu: [wIntent, wSlot],
    fusion: [wFuse],
  };
  const tokens = (b: EncodedBatch) => {
    const ids = tf.tensor3d(b.ids, [b.batch, b.length, b.pieces], 'int32');
    const mask = tf.tensor2d(b.mask, [b.batch, b.length]);
    const e = tf.mean(tf.gather(emb, ids), 2); // (B, T, E)
    return { e, mask };
  };
  const pooled = (b: EncodedBatch) => {
    const { e, mask } = tokens(b);
    const m = tf.expandDims(mask, 2);
    return tf.div(tf.sum(tf.mul(e, m), 1), tf.maximum(tf.sum(m, 1), 1)) as tf.Tensor2D; // (B, E)
  };
  const l2 = (x: tf.Tensor2D) => tf.div(x, tf.add(tf.norm(x, 2, 1, true), 1e-6)) as tf.Tensor2D;
  const runNlu = (b: EncodedBatch): NluOutputs => {
    const { e } = tokens(b);
    const p = pooled(b);
    return {
      intentLogits: tf.matMul(p, wIntent),
      slotLogits: tf.reshape(tf.matMul(tf.reshape(e, [-1, E]) as tf.Tensor2D, wSlot), [b.batch, b.length, o.tags]),
    };
  };
  return {
    modules,
    encodeText: (b) => l2(tf.matMul(pooled(b), wText) as tf.Tensor2D),
    encodeImage: (x) => l2(tf.matMul(tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D, wImage) as tf.Tensor2D),
    encodeQuery(b, _training, useNlu = true) {
      const t = tf.matMul(pooled(b), wText) as tf.Tensor2D;
      if (!useNlu) return { embedding: l2(t) };
      const fused = tf.add(t, tf.matMul(tf.softmax(runNlu(b).intentLogits), wFuse)) as tf.Tensor2D;
      return { embedding: l2(fused) };
    },
    runNlu,
    dispose: () =>
      Object.values(modules)
        .flat()
        .forEach((v) => v.dispose()),
  };
}

/** A token table whose row i holds `ids[i]` (G = 1, CLS id 1 first, pad 0). */
export function toyTokens(rows: number[][], T: number): TokenTable {
  const n = rows.length;
  const t: TokenTable = {
    n,
    length: T,
    pieces: 1,
    padId: 0,
    ids: new Int32Array(n * T),
    mask: new Float32Array(n * T),
    wordIndex: new Int32Array(n * T).fill(-1),
    firstPiece: new Uint8Array(n * T),
    tokens: new Int32Array(n),
  };
  rows.forEach((r, i) => {
    const all = [1, ...r].slice(0, T);
    all.forEach((id, j) => {
      t.ids[i * T + j] = id;
      t.mask[i * T + j] = 1;
      if (j > 0) {
        t.wordIndex[i * T + j] = j - 1;
        t.firstPiece[i * T + j] = 1;
      }
    });
    t.tokens[i] = all.length;
  });
  return t;
}

const pool = (left: number[], right: number[], group: number[]): PairPool => ({
  size: left.length,
  left: Int32Array.from(left),
  right: Int32Array.from(right),
  group: Int32Array.from(group),
});

export const TOY = { vocab: 40, imageSize: 4, dim: 8, intents: 3, tags: 3, T: 6 };

/**
 * `groups` concepts: each has 2 images (a group pattern + noise), a caption and a chunk (group words +
 * filler), 2 queries with an intent (group % 3) and slot tags (the group word is B-x = 1).
 */
export function toyData(groups: number, seed = 7): TrainData {
  const r = new Rng(seed);
  const S = TOY.imageSize;
  const per = S * S * 3;
  const patterns = Array.from({ length: groups }, () => Float32Array.from({ length: per }, () => r.next()));
  const images: ImageTable = { n: groups * 2, size: S, data: new Float32Array(groups * 2 * per) };
  for (let g = 0; g < groups; g++)
    for (let k = 0; k < 2; k++) {
      for (let j = 0; j < per; j++)
        images.data[(g * 2 + k) * per + j] = Math.min(1, Math.max(0, patterns[g]![j]! + (r.next() - 0.5) * 0.2));
    }
  const word = (g: number) => 2 + (g % (TOY.vocab - 10));
  const filler = () => TOY.vocab - 8 + r.int(8);
  const texts: number[][] = [];
  for (let g = 0; g < groups; g++) texts.push([word(g)], [filler(), word(g), filler()], [word(g)]); // caption, chunk, semantic
  const qRows: number[][] = [];
  const intent: number[] = [];
  for (let g = 0; g < groups; g++)
    for (let k = 0; k < 2; k++) {
      qRows.push(k === 0 ? [filler(), word(g)] : [word(g), filler(), filler()]);
      intent.push(g % TOY.intents);
    }
  const q = toyTokens(qRows, TOY.T) as QueryTable;
  q.intent = Int32Array.from(intent);
  q.slotLabels = new Int32Array(q.n * TOY.T);
  q.slotMask = new Float32Array(q.n * TOY.T);
  qRows.forEach((row, i) =>
    row.forEach((id, j) => {
      q.slotLabels[i * TOY.T + j + 1] = id < TOY.vocab - 8 ? 1 : 0;
      q.slotMask[i * TOY.T + j + 1] = 1;
    }),
  );
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const gs = range(groups);
  return {
    images,
    texts: toyTokens(texts, TOY.T),
    queries: q,
    pools: {
      'image-caption': pool(
        gs.flatMap((g) => [g * 2, g * 2 + 1]),
        gs.flatMap((g) => [g * 3, g * 3]),
        gs.flatMap((g) => [g, g]),
      ),
      'image-image': pool(
        gs.flatMap((g) => [g * 2, g * 2 + 1]),
        gs.flatMap((g) => [g * 2 + 1, g * 2]),
        gs.flatMap((g) => [g, g]),
      ),
      'caption-chunk': pool(
        gs.map((g) => g * 3),
        gs.map((g) => g * 3 + 1),
        gs,
      ),
      'query-chunk': pool(
        range(groups * 2),
        range(groups * 2).map((i) => Math.floor(i / 2) * 3 + 1),
        range(groups * 2).map((i) => Math.floor(i / 2)),
      ),
      'query-nlu': pool(
        range(groups * 2),
        range(groups * 2),
        range(groups * 2).map(() => -1),
      ),
      'query-semantic': pool(
        range(groups * 2),
        range(groups * 2).map((i) => Math.floor(i / 2) * 3 + 2),
        range(groups * 2).map((i) => Math.floor(i / 2)),
      ),
    },
  };
}
