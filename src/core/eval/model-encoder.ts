import * as tf from '@tensorflow/tfjs-core';
import type { ImageTensorCache } from '../data/images';
import type { EncodedBatch, Tokenizer } from '../text/tokenizer';
import type { TrainModel } from '../model/train-model';
import type { EvalEncoder, EvalImage, QueryNluOutputs } from './evaluate';

/** Runs `f` in a tidy scope and copies its (B, …) result out before disposing it. */
function read(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  try {
    return Float32Array.from(t.dataSync() as Float32Array);
  } finally {
    t.dispose();
  }
}

/** Token spans of an encoded batch: the word's [start, end) on the first token of each word, null elsewhere. (B, T) */
export function firstPieceSpans(enc: EncodedBatch): ([number, number] | null)[][] {
  return Array.from({ length: enc.batch }, (_, b) =>
    Array.from({ length: enc.length }, (_, t) => {
      const k = b * enc.length + t;
      const w = enc.wordIndex[k]!;
      const word = w >= 0 && enc.firstPiece[k] ? enc.words[b]?.[w] : undefined;
      return word ? [word.start, word.end] : null;
    }),
  );
}

/**
 * Adapts a model (the TrainModel contract) to evaluation: texts through the tokenizer, images from the
 * split's decoded image cache, everything with training = false; tensors are disposed, arrays come back.
 * Slot predictions are read on the first token of every word, where training puts the slot labels.
 * `encodings` keeps each batch's tokens by its texts and languages: the queries' second pass (without NLU) and a
 * split's later evaluations (one per stage) then tokenize nothing again. Encoded batches are never written to.
 */
export function modelEncoder(
  model: TrainModel,
  tokenizer: Tokenizer,
  images: ImageTensorCache,
  encodings: Map<string, EncodedBatch> = new Map(),
): EvalEncoder {
  const encode = (rows: readonly { text: string; lang?: string }[]) => {
    const key = rows.map((r) => `${r.lang ?? ''}\u0001${r.text}`).join('\u0000');
    let enc = encodings.get(key);
    if (!enc) {
      enc = tokenizer.encode(
        rows.map((r) => r.text),
        rows.map((r) => r.lang),
      );
      encodings.set(key, enc);
    }
    return enc;
  };
  const row = new Map(images.ids.map((id, i) => [id, i]));
  const per = images.size * images.size * 3;
  return {
    async embedImages(batch: readonly EvalImage[]) {
      const x = new Float32Array(batch.length * per);
      batch.forEach((im, k) => {
        const i = row.get(im.id);
        if (i === undefined)
          throw new Error(
            `evaluation: image '${im.id}' is not in the decoded image cache (skipped as bad?); leave it out of the records`,
          );
        x.set(images.data.subarray(i * per, (i + 1) * per), k * per);
      });
      return read(() => model.encodeImage(tf.tensor4d(x, [batch.length, images.size, images.size, 3]), false));
    },
    async embedTexts(batch) {
      const enc = encode(batch);
      return read(() => model.encodeText(enc, false));
    },
    async embedQueries(batch, useNlu) {
      const enc = encode(batch);
      // the NLU outputs that encodeQuery computed on the way (run again only for a model that does not return them)
      const [embedding, intent, slots] = tf.tidy(() => {
        const q = model.encodeQuery(enc, false, useNlu);
        if (!useNlu) return [q.embedding];
        const o = q.nlu ?? model.runNlu(enc, false);
        return [q.embedding, o.intentLogits, o.slotLogits]; // (B, D), (B, I), (B, T, S)
      });
      const copy = (t: tf.Tensor) => Float32Array.from(t.dataSync() as Float32Array);
      try {
        const embeddings = copy(embedding!);
        if (!useNlu) return { embeddings };
        const nlu: QueryNluOutputs = {
          intentLogits: copy(intent!),
          slotLogits: copy(slots!),
          tokenSpans: firstPieceSpans(enc),
        };
        return { embeddings, nlu };
      } finally {
        tf.dispose([embedding!, ...(intent ? [intent, slots!] : [])]);
      }
    },
  };
}
