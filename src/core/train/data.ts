import { bioLabelIds, bioTagSet } from '../data/bio';
import type { DatasetQuery, DatasetRecords } from '../data/dataset';
import {
  captionChunkPairs,
  imageCaptionPairs,
  imageImagePairs,
  queryChunkPairs,
  translationPairs,
} from '../data/pairs';
import type { PairType } from '../config/stage';
import type { Tokenizer } from '../text/tokenizer';
import type { ImageTable, QueryTable, TrainData } from './batch';
import type { PairPool } from './sampler';
import { cachedTable, tokenCacheKey } from './token-cache';
import { buildTokenTable } from './tokens';

export interface BuildTrainDataOptions {
  tokenizer: Tokenizer;
  /** Decoded images of the split: ids in the order of data (N, S, S, 3). */
  images?: { ids: readonly string[]; size: number; data: Float32Array };
  intents: readonly string[];
  slotLabels: readonly string[];
  /** Only build the pools these pair types need. */
  pairs: ReadonlySet<PairType>;
  /** Token tables are cached on disk under `dir` (the dataset's cache folder, datasetCacheDir), keyed by `tokenizer` (id + config) and the texts. */
  cache?: { dir: string; tokenizer: unknown };
  log?: (line: string) => void;
}

/**
 * Builds the trainer's tables and pools from one split's records: texts and queries tokenized once, BIO
 * tags aligned to tokens (first token of each word), pools of (left row, right row, group) per pair type.
 */
export function buildTrainData(records: DatasetRecords, o: BuildTrainDataOptions): TrainData {
  const groupIndex = new Map<string, number>();
  const gid = (g: string | null) =>
    g === null ? -1 : (groupIndex.get(g) ?? (groupIndex.set(g, groupIndex.size), groupIndex.size - 1));

  const texts: { text: string; lang: string }[] = [];
  const textRow = new Map<string, number>();
  const rowOfText = (key: string, text: string, lang: string) => {
    let r = textRow.get(key);
    if (r === undefined) {
      textRow.set(key, (r = texts.length));
      texts.push({ text, lang });
    }
    return r;
  };
  const pools: Partial<Record<PairType, PairPool>> = {};
  const makePool = (left: number[], right: number[], group: number[]): PairPool => ({
    size: left.length,
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    group: Int32Array.from(group),
  });

  let images: ImageTable | undefined;
  if (o.pairs.has('image-caption')) {
    if (!o.images) throw new Error('buildTrainData: image-caption pairs need decoded images');
    const imageRow = new Map(o.images.ids.map((id, i) => [id, i]));
    images = { n: o.images.ids.length, size: o.images.size, data: o.images.data };
    const L: number[] = [],
      R: number[] = [],
      G: number[] = [];
    for (const { image, caption } of imageCaptionPairs(records)) {
      const row = imageRow.get(image.id);
      if (row === undefined) continue; // a bad image left out of the cache
      L.push(row);
      R.push(rowOfText(caption.id, caption.text, caption.lang));
      G.push(gid(image.group));
    }
    pools['image-caption'] = makePool(L, R, G);
  }
  if (o.pairs.has('image-image')) {
    if (!o.images) throw new Error('buildTrainData: image-image pairs need decoded images');
    const imageRow = new Map(o.images.ids.map((id, i) => [id, i]));
    images = { n: o.images.ids.length, size: o.images.size, data: o.images.data };
    const L: number[] = [],
      R: number[] = [],
      G: number[] = [];
    for (const { image, other } of imageImagePairs(records)) {
      const [a, b] = [imageRow.get(image.id), imageRow.get(other.id)];
      if (a === undefined || b === undefined) continue; // a bad image left out of the cache
      L.push(a);
      R.push(b);
      G.push(gid(image.group));
    }
    pools['image-image'] = makePool(L, R, G);
  }
  if (o.pairs.has('caption-chunk')) {
    const L: number[] = [],
      R: number[] = [],
      G: number[] = [];
    for (const { caption, chunk } of captionChunkPairs(records)) {
      L.push(rowOfText(caption.id, caption.text, caption.lang));
      R.push(rowOfText(chunk.id, chunk.text, chunk.lang));
      G.push(gid(caption.group));
    }
    pools['caption-chunk'] = makePool(L, R, G);
  }
  if (o.pairs.has('translation')) {
    const L: number[] = [],
      R: number[] = [],
      G: number[] = [];
    for (const { text, pivot } of translationPairs(records)) {
      L.push(rowOfText(text.id, text.text, text.lang));
      R.push(rowOfText(pivot.id, pivot.text, pivot.lang));
      G.push(gid(text.group));
    }
    pools.translation = makePool(L, R, G);
  }

  const needQueries = ['query-chunk', 'query-nlu', 'query-semantic'].some((p) => o.pairs.has(p as PairType));
  let queries: QueryTable | undefined;
  if (needQueries) {
    const qs0 = records.queries;
    const qKey =
      o.cache &&
      tokenCacheKey({
        tokenizer: o.cache.tokenizer,
        langs: qs0.map((q) => q.lang),
        extra: { intents: o.intents, slotLabels: o.slotLabels },
        texts: qs0.map((q) => `${q.text}\u0002${q.intent}\u0002${JSON.stringify(q.slots)}`),
      });
    queries = cachedTable(o.cache?.dir, `q${qKey}`, () => buildQueryTable(qs0, o), o.log);
    const qs = records.queries;
    if (o.pairs.has('query-chunk')) {
      const queryRow = new Map(qs.map((q, i) => [q.id, i]));
      const L: number[] = [],
        R: number[] = [],
        G: number[] = [];
      for (const { query, chunk } of queryChunkPairs(records)) {
        L.push(queryRow.get(query.id)!);
        R.push(rowOfText(chunk.id, chunk.text, chunk.lang));
        G.push(gid(query.group));
      }
      pools['query-chunk'] = makePool(L, R, G);
    }
    if (o.pairs.has('query-nlu')) {
      const rows = qs.map((_, i) => i);
      pools['query-nlu'] = makePool(
        rows,
        rows,
        qs.map(() => -1),
      );
    }
    if (o.pairs.has('query-semantic')) {
      const L: number[] = [],
        R: number[] = [],
        G: number[] = [];
      qs.forEach((q, i) => {
        if (!q.semanticText.trim()) return;
        L.push(i);
        R.push(rowOfText(`semantic/${q.id}`, q.semanticText, q.lang));
        G.push(gid(q.group));
      });
      pools['query-semantic'] = makePool(L, R, G);
    }
  }
  const tTexts = texts.map((t) => t.text);
  const tLangs = texts.map((t) => t.lang);
  const tKey = o.cache && tokenCacheKey({ tokenizer: o.cache.tokenizer, texts: tTexts, langs: tLangs });
  const table = cachedTable(o.cache?.dir, `t${tKey}`, () => buildTokenTable(o.tokenizer, tTexts, tLangs), o.log);
  return { images, texts: table, queries, pools };
}

/** Queries tokenized once, with intent ids and BIO tag ids on the first token of each word. */
export function buildQueryTable(
  qs: readonly DatasetQuery[],
  o: Pick<BuildTrainDataOptions, 'tokenizer' | 'intents' | 'slotLabels'>,
): QueryTable {
  const T = o.tokenizer.maxLength;
  const tags = bioTagSet(o.slotLabels);
  const intentIndex = new Map(o.intents.map((x, i) => [x, i]));
  const slotLabels = new Int32Array(qs.length * T);
  const slotMask = new Float32Array(qs.length * T);
  const table = buildTokenTable(
    o.tokenizer,
    qs.map((q) => q.text),
    qs.map((q) => q.lang),
    (row, words, t) => {
      const ids = bioLabelIds(qs[row]!.slots, words, tags);
      for (let j = 0; j < T; j++) {
        const w = t.wordIndex[row * T + j]!;
        if (w >= 0 && t.firstPiece[row * T + j] && w < ids.length) {
          slotLabels[row * T + j] = ids[w]!;
          slotMask[row * T + j] = 1;
        }
      }
    },
  );
  const intent = Int32Array.from(qs, (q) => {
    const i = intentIndex.get(q.intent);
    if (i === undefined) throw new Error(`query ${q.id}: intent '${q.intent}' is not in the dataset's intents`);
    return i;
  });
  return { ...table, intent, slotLabels, slotMask };
}
