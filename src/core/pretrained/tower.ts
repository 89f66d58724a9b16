import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';
import { checkImages, type ImageEncoder, type TextEncoder } from '../model/encoder';
import { l2Normalize } from '../nn/ops';
import type { ParamScope } from '../nn/params';
import { itemKey, type FeatureCache } from './feature-cache';
import { Head, type HeadKind } from './head';
import { EncodeProgress } from './progress';

/**
 * A frozen pretrained model as a function: items → features (n, F), synchronously, no gradient. Text towers
 * take raw strings, image towers (S·S·3) Float32 pixels in [0, 1] (HWC). Implementations batch by batchSize.
 */
export interface FrozenExtractor<I> {
  readonly width: number; // F
  extract(items: readonly I[]): Float32Array; // (n, F) row-major
  dispose(): void;
}

/** A partly trainable pretrained model (tfjs layers, some layers unfrozen): runs every step, with gradients. */
export interface LiveTower<I> {
  readonly width: number; // F
  forward(items: readonly I[], training: boolean): tf.Tensor2D; // (n, F)
  variables(): tf.Variable[];
  dispose(): void;
}

export type Tower<I> = { frozen: FrozenExtractor<I>; cache: FeatureCache; batchSize: number } | { live: LiveTower<I> };

export interface PretrainedOptions<I> {
  id: string; // plugin id, for messages
  where: string; // config path, e.g. model.text
  scope: ParamScope; // the head's variables; disposed with the encoder
  dim: number; // D
  tower: Tower<I>;
  head: HeadKind;
  headHidden: number;
  /** L2-normalise the pretrained features before the head. */
  normalize: boolean;
}

/** Items below this count are encoded without progress lines (a step's or an evaluation batch's misses). */
const QUIET_BELOW = 512;
/** Computed rows are written to disk once this many are pending (and when an encoder is disposed). */
const FLUSH_EVERY = 512;

/**
 * Features of items through a frozen extractor and its cache: cached rows are looked up, misses computed in
 * batches of batchSize (with progress and items/s when there are many) and stored. `store(key)` false: computed
 * but not kept (an augmented training image, which never comes back).
 */
class CachedFeatures<I> {
  private readonly seenCorpora = new WeakSet<object>();

  constructor(
    private readonly extractor: FrozenExtractor<I>,
    private readonly cache: FeatureCache,
    private readonly batchSize: number,
    private readonly label: string,
  ) {}

  /** Encodes every item of `corpus` not cached yet, once per corpus array (the table a training batch is drawn from). */
  corpus(items: readonly I[], keyOf: (x: I) => string): void {
    if (this.seenCorpora.has(items)) return;
    this.seenCorpora.add(items);
    this.fill(
      items,
      items.map(keyOf),
      () => true,
      `${this.label}, ${items.length.toLocaleString('en')} items of a training table`,
    );
  }

  /** (n, F) features of `items` (keys given), computing the misses. */
  rows(items: readonly I[], keys: readonly string[], store: (key: string) => boolean): Float32Array {
    const F = this.extractor.width;
    const out = new Float32Array(items.length * F);
    const computed = this.fill(items, keys, store, this.label);
    keys.forEach((k, i) => out.set(computed.get(k) ?? this.cache.get(k)!, i * F));
    return out;
  }

  /** Computes the distinct misses among items; returns those not stored (by key). */
  private fill(
    items: readonly I[],
    keys: readonly string[],
    store: (key: string) => boolean,
    what: string,
  ): Map<string, Float32Array> {
    const F = this.extractor.width;
    const todo = new Map<string, I>();
    keys.forEach((k, i) => {
      if (!this.cache.has(k) && !todo.has(k)) todo.set(k, items[i]!);
    });
    const unstored = new Map<string, Float32Array>();
    if (todo.size === 0) return unstored;
    const entries = [...todo];
    const progress = entries.length >= QUIET_BELOW ? new EncodeProgress(what, entries.length) : undefined;
    for (let s = 0; s < entries.length; s += this.batchSize) {
      const chunk = entries.slice(s, s + this.batchSize);
      const f = this.extractor.extract(chunk.map(([, x]) => x));
      chunk.forEach(([k], j) => {
        const row = f.subarray(j * F, (j + 1) * F);
        if (store(k)) this.cache.put(k, row);
        else unstored.set(k, Float32Array.from(row));
      });
      progress?.tick(chunk.length);
    }
    if (progress) {
      this.cache.flush();
      progress.finish(this.cache.dir ? `; cached in ${this.cache.dir}` : '');
    } else if (this.cache.stats.computed - this.cache.stats.written >= FLUSH_EVERY) this.cache.flush();
    return unstored;
  }

  dispose(): void {
    this.cache.flush();
    this.extractor.dispose();
  }
}

/** Text keys are memoised: the same captions come back every step. */
function textKeys(): (t: string) => string {
  const memo = new Map<string, string>();
  return (t) => {
    let k = memo.get(t);
    if (k === undefined) {
      if (memo.size > 200_000) memo.clear();
      memo.set(t, (k = itemKey(t)));
    }
    return k;
  };
}

/**
 * A text encoder over a pretrained tower: raw texts (EncodedBatch.texts) → tower features (B, F) → [normalise]
 * → [fuse hook] → head → (B, D) unit rows. A frozen tower's features come from the feature cache (a training
 * table is encoded in full the first time one of its batches arrives); a live tower runs with gradients.
 * Early fusion: the tower is one pooled vector, so the fuse hook sees it as a single token state (B, 1, F) with
 * the query's token mask (B, T) for the NLU memory; `hidden` = F.
 */
export function pretrainedTextEncoder(o: PretrainedOptions<string>): TextEncoder {
  const F = 'frozen' in o.tower ? o.tower.frozen.width : o.tower.live.width;
  const head = new Head(o.scope, o.head, F, o.dim, o.headHidden, o.where);
  const keyOf = textKeys();
  const t = o.tower;
  const cached = 'frozen' in t ? new CachedFeatures(t.frozen, t.cache, t.batchSize, `${o.where} '${o.id}'`) : undefined;
  return {
    modality: 'text',
    dim: o.dim,
    hidden: F,
    encode(batch, opts) {
      const texts = batch.texts;
      if (!texts || texts.length !== batch.batch) {
        throw new UserError(
          `${o.where}: '${o.id}' reads the raw texts of each batch (EncodedBatch.texts), which this batch lacks; make the tokenizer with defineTokenizer, which adds them`,
        );
      }
      let rows: Float32Array | undefined;
      if (cached) {
        if (batch.corpus) cached.corpus(batch.corpus, keyOf);
        rows = cached.rows(texts, texts.map(keyOf), () => true);
      }
      return tf.tidy(() => {
        let f = rows
          ? tf.tensor2d(rows, [texts.length, F])
          : (t as { live: LiveTower<string> }).live.forward(texts, opts.training); // (B, F)
        if (o.normalize) f = l2Normalize(f);
        if (opts.fuse) {
          const mask = tf.tensor2d(batch.mask, [batch.batch, batch.length]); // (B, T): the query's tokens, for the NLU memory
          f = tf.reshape(opts.fuse(tf.reshape(f, [batch.batch, 1, F]) as tf.Tensor3D, mask), [
            batch.batch,
            F,
          ]) as tf.Tensor2D;
        }
        const embedding = l2Normalize(head.apply(f)); // (B, D)
        return opts.tokens ? { embedding, tokens: tf.reshape(f, [batch.batch, 1, F]) as tf.Tensor3D } : { embedding };
      });
    },
    variables: () => [...('live' in t ? t.live.variables() : []), ...head.variables()],
    flops: ([b = 1]) => head.flops(b),
    dispose() {
      cached?.dispose();
      if ('live' in t) t.live.dispose();
      o.scope.dispose();
    },
  };
}

/**
 * An image encoder over a pretrained tower: (B, S, S, 3) in [0, 1] → tower features (B, F) → [normalise] → head
 * → (B, D) unit rows. Frozen towers cache by pixel content: evaluation images and training images seen twice
 * are stored, a training image seen once (an augmented one, most likely) is computed but not kept.
 */
export function pretrainedImageEncoder(o: PretrainedOptions<Float32Array> & { imageSize: number }): ImageEncoder {
  const t = o.tower;
  const F = 'frozen' in t ? t.frozen.width : t.live.width;
  const head = new Head(o.scope, o.head, F, o.dim, o.headHidden, o.where);
  const S = o.imageSize;
  const per = S * S * 3;
  const cached = 'frozen' in t ? new CachedFeatures(t.frozen, t.cache, t.batchSize, `${o.where} '${o.id}'`) : undefined;
  const seenOnce = new Set<string>();
  return {
    modality: 'image',
    dim: o.dim,
    imageSize: S,
    encode(images, opts) {
      checkImages(images, S, o.where);
      const B = images.shape[0];
      const px = images.dataSync() as Float32Array;
      const items = Array.from({ length: B }, (_, i) => px.subarray(i * per, (i + 1) * per));
      let rows: Float32Array | undefined;
      if (cached) {
        const keys = items.map((x) => itemKey(x));
        const store = (k: string) => {
          if (!opts.training || seenOnce.has(k)) return true;
          if (seenOnce.size > 100_000) seenOnce.clear();
          seenOnce.add(k);
          return false;
        };
        rows = cached.rows(items, keys, store);
      }
      return tf.tidy(() => {
        let f = rows
          ? tf.tensor2d(rows, [B, F])
          : (t as { live: LiveTower<Float32Array> }).live.forward(items, opts.training); // (B, F)
        if (o.normalize) f = l2Normalize(f);
        return l2Normalize(head.apply(f)); // (B, D)
      });
    },
    variables: () => [...('live' in t ? t.live.variables() : []), ...head.variables()],
    flops: ([b = 1]) => head.flops(b),
    dispose() {
      cached?.dispose();
      if ('live' in t) t.live.dispose();
      o.scope.dispose();
    },
  };
}
