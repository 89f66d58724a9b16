import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageTensorCache } from '../../../src/core/data/images';
import { firstPieceSpans, modelEncoder } from '../../../src/core/eval/model-encoder';
import type { EncodedBatch, Tokenizer, Word } from '../../../src/core/text/tokenizer';
import type { TrainModel } from '../../../src/core/model/train-model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Whitespace words; a word longer than 4 chars takes two tokens (its second token is not a first piece). */
const tokenizer: Tokenizer = {
  id: 'test-ws',
  vocabSize: 32,
  pieces: 1,
  maxLength: 8,
  padId: 0,
  clsId: 1,
  words: (text) =>
    [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], start: m.index!, end: m.index! + m[0].length })),
  encode(texts) {
    const words = texts.map((t) => this.words(t));
    const T = this.maxLength;
    const B = texts.length;
    const e: EncodedBatch = {
      batch: B,
      length: T,
      pieces: 1,
      ids: new Int32Array(B * T),
      mask: new Float32Array(B * T),
      wordIndex: new Int32Array(B * T).fill(-1),
      firstPiece: new Uint8Array(B * T),
      words: [],
    };
    words.forEach((ws, b) => {
      let t = 0;
      e.ids[b * T] = 1;
      e.mask[b * T] = 1;
      const kept: Word[] = [];
      ws.forEach((w, wi) => {
        const n = w.text.length > 4 ? 2 : 1;
        if (t + n >= T) return;
        kept.push(w);
        for (let p = 0; p < n; p++) {
          t++;
          e.ids[b * T + t] = 2 + ((w.text.charCodeAt(p) * 7 + wi) % 30);
          e.mask[b * T + t] = 1;
          e.wordIndex[b * T + t] = kept.length - 1;
          e.firstPiece[b * T + t] = p === 0 ? 1 : 0;
        }
      });
      e.words.push(kept);
    });
    return e;
  },
};

/** Mean of token embeddings, L2-normalised; NLU heads are fixed projections. */
function tinyModel(): TrainModel {
  const D = 4;
  const table = tf.variable(
    tf.tensor2d(
      Array.from({ length: 32 * D }, (_, i) => Math.sin(i * 1.3)),
      [32, D],
    ),
  );
  const tokens = (b: EncodedBatch) => tf.reshape(tf.gather(table, tf.tensor1d(b.ids, 'int32')), [b.batch, b.length, D]); // (B, T, D)
  const pooled = (b: EncodedBatch) => {
    const m = tf.tensor3d(b.mask, [b.batch, b.length, 1]);
    return tf.div(tf.sum(tf.mul(tokens(b), m), 1), tf.sum(m, 1)) as tf.Tensor2D; // (B, D)
  };
  const unit = (x: tf.Tensor2D) => tf.div(x, tf.norm(x, 'euclidean', 1, true)) as tf.Tensor2D;
  return {
    modules: { text: [table] } as never,
    encodeText: (b) => unit(pooled(b)),
    encodeImage: (x) =>
      unit(
        tf.add(
          tf.pad(tf.reshape(tf.mean(x, [1, 2]), [x.shape[0], 3]), [
            [0, 0],
            [0, 1],
          ]),
          0.1,
        ) as tf.Tensor2D,
      ),
    encodeQuery: (b, _t, useNlu) => ({ embedding: unit(useNlu ? tf.add(pooled(b), 1) : pooled(b)) }),
    runNlu: (b) => ({
      intentLogits: tf.matMul(pooled(b), tf.tensor2d([1, 0, 0, 1, 1, 1, -1, 0], [D, 2])),
      slotLogits: tf.reshape(
        tf.matMul(tf.reshape(tokens(b), [-1, D]), tf.tensor2d([0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0], [D, 3])),
        [b.batch, b.length, 3],
      ) as tf.Tensor3D,
    }),
    dispose: () => table.dispose(),
  };
}

describe('modelEncoder', () => {
  it('puts each word span on its first token only', () => {
    const enc = tokenizer.encode(['find yellow fruit']);
    expect(firstPieceSpans(enc)).toEqual([[null, [0, 4], [5, 11], null, [12, 17], null, null, null]]);
  });

  it('returns what the model computes, as arrays, leaking no tensors', async () => {
    const model = tinyModel();
    const images: ImageTensorCache = {
      ids: ['a', 'b'],
      size: 2,
      data: new Float32Array(2 * 2 * 2 * 3).map((_, i) => (i % 5) / 4),
      skipped: [],
      fromCache: false,
    };
    const enc = modelEncoder(model, tokenizer, images);
    const before = tf.memory().numTensors;
    const texts = [{ id: 't', group: 'g', split: 'test', lang: 'en', role: 'caption' as const, text: 'red apple' }];
    const q = [{ id: 'q', group: 'g', split: 'test', lang: 'en', text: 'find yellow fruit', intent: 'x', slots: [] }];
    const t = await enc.embedTexts(texts);
    const im = await enc.embedImages([{ id: 'b', group: 'g', split: 'test', path: '' }]);
    const withNlu = await enc.embedQueries(q, true);
    const plain = await enc.embedQueries(q, false);
    expect(tf.memory().numTensors).toBe(before);
    const direct = (f: () => tf.Tensor) => tf.tidy(() => Array.from(f().dataSync()));
    expect(Array.from(t)).toEqual(direct(() => model.encodeText(tokenizer.encode(['red apple']), false)));
    const px = images.data.subarray(12, 24);
    expect(Array.from(im)).toEqual(direct(() => model.encodeImage(tf.tensor4d(px, [1, 2, 2, 3]), false)));
    expect(Array.from(withNlu.embeddings)).not.toEqual(Array.from(plain.embeddings));
    expect(plain.nlu).toBeUndefined();
    expect(Array.from(withNlu.nlu!.slotLogits)).toEqual(
      direct(() => model.runNlu(tokenizer.encode(q.map((x) => x.text)), false).slotLogits),
    );
    expect(withNlu.nlu!.tokenSpans).toEqual(firstPieceSpans(tokenizer.encode(['find yellow fruit'])));
    await expect(enc.embedImages([{ id: 'zz', group: 'g', split: 'test', path: '' }])).rejects.toThrow(
      "evaluation: image 'zz' is not in the decoded image cache",
    );
    model.dispose();
  });

  it('reads intent and slots from the NLU outputs encodeQuery returns, without running NLU a second time', async () => {
    const base = tinyModel();
    let nluRuns = 0;
    const model: TrainModel = {
      ...base,
      runNlu: (b, t) => {
        nluRuns++;
        return base.runNlu(b, t);
      },
      // as the unified model: the fused query and the NLU outputs it was fused with
      encodeQuery: (b, t, useNlu) => ({
        embedding: base.encodeQuery(b, t, useNlu).embedding,
        ...(useNlu ? { nlu: base.runNlu(b, t) } : {}),
      }),
    };
    const images: ImageTensorCache = { ids: [], size: 2, data: new Float32Array(0), skipped: [], fromCache: false };
    const q = [
      { id: 'q', group: 'g', split: 'test', lang: 'en', text: 'find yellow fruit', intent: 'x', slots: [] },
      { id: 'r', group: 'g', split: 'test', lang: 'en', text: 'red apple now', intent: 'x', slots: [] },
    ];
    const before = tf.memory().numTensors;
    const out = await modelEncoder(model, tokenizer, images).embedQueries(q, true);
    expect(tf.memory().numTensors).toBe(before);
    expect(nluRuns).toBe(0);
    const direct = tf.tidy(() => {
      const o = base.runNlu(tokenizer.encode(q.map((x) => x.text)), false);
      return [Array.from(o.intentLogits.dataSync()), Array.from(o.slotLogits.dataSync())];
    });
    expect([Array.from(out.nlu!.intentLogits), Array.from(out.nlu!.slotLogits)]).toEqual(direct);
    base.dispose();
  });

  it('tokenizes a batch once per encodings map: both query passes and later evaluations reuse it', async () => {
    const model = tinyModel();
    let calls = 0;
    const counting: Tokenizer = {
      ...tokenizer,
      encode(texts, langs) {
        calls++;
        return tokenizer.encode(texts, langs);
      },
    };
    const images: ImageTensorCache = { ids: [], size: 2, data: new Float32Array(0), skipped: [], fromCache: false };
    const q = (lang: string) => [
      { id: 'q', group: 'g', split: 'test', lang, text: 'find yellow fruit', intent: 'x', slots: [] },
    ];
    const encodings = new Map<string, EncodedBatch>();
    const first = modelEncoder(model, counting, images, encodings);
    const a = await first.embedQueries(q('en'), true);
    await first.embedQueries(q('en'), false);
    const b = await modelEncoder(model, counting, images, encodings).embedQueries(q('en'), true); // a later evaluation
    expect(calls).toBe(1);
    expect(Array.from(b.embeddings)).toEqual(Array.from(a.embeddings));
    await first.embedQueries(q('de'), true); // same text, another language: its own tokens
    expect(calls).toBe(2);
    await modelEncoder(model, counting, images).embedQueries(q('en'), true); // no map given: tokenized again
    expect(calls).toBe(3);
    model.dispose();
  });
});
