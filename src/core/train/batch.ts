import type { PairType } from '../config/stage';
import type { EncodedBatch } from '../text/tokenizer';
import type { Rng } from '../rng';
import type { PairPool } from './sampler';
import { gatherTokenRows, TokenBatcher, type TokenTable } from './tokens';

/** Decoded images of one split: (N, S, S, 3) RGB in [0, 1]. */
export interface ImageTable {
  n: number;
  size: number; // S
  data: Float32Array;
}

/** Queries tokenized once, with their NLU labels aligned to tokens. */
export interface QueryTable extends TokenTable {
  intent: Int32Array; // (N) index into the dataset's intents
  slotLabels: Int32Array; // (N, T) BIO tag index on the first token of each word, 0 elsewhere
  slotMask: Float32Array; // (N, T) 1 where slotLabels counts
}

/**
 * Everything the trainer samples from, built once per run (data.ts): images decoded, texts and queries
 * tokenized; pools index rows of these tables.
 */
export interface TrainData {
  images?: ImageTable;
  texts: TokenTable; // captions, chunks, semantic texts
  queries?: QueryTable;
  pools: Partial<Record<PairType, PairPool>>;
}

/** One pair type's share of a step, as typed-array views valid until that pair's next batch. */
export interface PairBatch {
  pair: PairType;
  n: number;
  images?: { data: Float32Array; size: number }; // image-caption, image-image: (n, S, S, 3)
  rightImages?: { data: Float32Array; size: number }; // image-image: the other image of each pair (n, S, S, 3)
  left?: EncodedBatch; // caption-chunk: the captions
  query?: EncodedBatch; // query-*: the queries
  intent?: Int32Array; // query-nlu: (n)
  slotLabels?: Int32Array; // query-nlu: (n, Tq)
  slotMask?: Float32Array; // query-nlu: (n, Tq)
  right?: EncodedBatch; // the text side: caption (image-caption), chunk (caption-chunk, query-chunk), semantic text (query-semantic)
  /** image-caption: `right` holds this many captions per example, example-major ((n·k) rows), averaged into one target. */
  captionsPerImage?: number;
}

/** Which tables a pair's left and right rows index. */
const SIDES: Record<PairType, { left: 'image' | 'text' | 'query'; right?: 'text' | 'image' }> = {
  'image-caption': { left: 'image', right: 'text' },
  'image-image': { left: 'image', right: 'image' },
  'caption-chunk': { left: 'text', right: 'text' },
  translation: { left: 'text', right: 'text' },
  'query-chunk': { left: 'query', right: 'text' },
  'query-nlu': { left: 'query' },
  'query-semantic': { left: 'query', right: 'text' },
};

/**
 * Assembles PairBatches by copying rows into buffers allocated once per pair type (`capacity` rows): no
 * tokenizing or decoding in the step.
 */
export class BatchAssembler {
  private readonly buffers = new Map<
    PairType,
    {
      left?: TokenBatcher;
      right?: TokenBatcher;
      images?: Float32Array;
      rightImages?: Float32Array;
      slotLabels?: Int32Array;
      slotMask?: Float32Array;
      intent?: Int32Array;
    }
  >();

  /** Caption rows of each group in the image-caption pool (for captionsPerImage > 1), built on first use. */
  private groupCaptions?: Map<number, Int32Array>;

  /** `maxCaptions`: the most captions per image a stage asks for (sizes the caption buffer). */
  constructor(
    private readonly data: TrainData,
    private readonly capacity: number,
    private readonly maxCaptions = 1,
  ) {}

  private buf(pair: PairType) {
    let b = this.buffers.get(pair);
    if (b) return b;
    const d = this.data;
    const side = SIDES[pair];
    const cap = this.capacity;
    b = {};
    if (side.left === 'image') b.images = new Float32Array(cap * d.images!.size * d.images!.size * 3);
    if (side.left === 'text') b.left = new TokenBatcher(d.texts, cap);
    if (side.left === 'query') b.left = new TokenBatcher(d.queries!, cap);
    if (side.right === 'text')
      b.right = new TokenBatcher(d.texts, pair === 'image-caption' ? cap * this.maxCaptions : cap);
    if (side.right === 'image') b.rightImages = new Float32Array(cap * d.images!.size * d.images!.size * 3);
    if (pair === 'query-nlu') {
      b.intent = new Int32Array(cap);
      b.slotLabels = new Int32Array(cap * d.queries!.length);
      b.slotMask = new Float32Array(cap * d.queries!.length);
    }
    this.buffers.set(pair, b);
    return b;
  }

  /**
   * The examples `idx` (indices into the pair's pool) as a batch. image-caption with `captions` k > 1: each example's
   * caption is followed by k − 1 other captions of its group, drawn with `rng` (without repeats while the group has
   * enough; its captions in other languages are distinct rows).
   */
  assemble(pair: PairType, idx: Int32Array, captions = 1, rng?: Rng): PairBatch {
    const pool = this.data.pools[pair]!;
    const n = idx.length;
    const b = this.buf(pair);
    const left = Int32Array.from(idx, (i) => pool.left[i]!);
    const out: PairBatch = { pair, n };
    const side = SIDES[pair];
    const copyImages = (rows: ArrayLike<number>, buf: Float32Array) => {
      const { size, data } = this.data.images!;
      const per = size * size * 3;
      for (let k = 0; k < n; k++) buf.set(data.subarray(rows[k]! * per, (rows[k]! + 1) * per), k * per);
      return { data: buf.subarray(0, n * per), size };
    };
    if (side.left === 'image') {
      out.images = copyImages(left, b.images!);
      if (side.right === 'image')
        out.rightImages = copyImages(
          Int32Array.from(idx, (i) => pool.right[i]!),
          b.rightImages!,
        );
    } else if (side.left === 'text') out.left = b.left!.rows(left);
    else out.query = b.left!.rows(left);
    if (side.right && pair === 'image-caption' && captions > 1) {
      out.right = b.right!.rows(this.withGroupCaptions(pool, idx, captions, rng!));
      out.captionsPerImage = captions;
    } else if (side.right === 'text') out.right = b.right!.rows(Int32Array.from(idx, (i) => pool.right[i]!));
    if (pair === 'query-nlu') {
      const q = this.data.queries!;
      const Tb = out.query!.length;
      for (let k = 0; k < n; k++) b.intent![k] = q.intent[left[k]!]!;
      out.intent = b.intent!.subarray(0, n);
      out.slotLabels = gatherTokenRows(q.slotLabels, q.length, left, Tb, b.slotLabels!);
      out.slotMask = gatherTokenRows(q.slotMask, q.length, left, Tb, b.slotMask!);
    }
    return out;
  }

  private withGroupCaptions(pool: PairPool, idx: Int32Array, k: number, rng: Rng): Int32Array {
    if (!this.groupCaptions) {
      const by = new Map<number, Set<number>>();
      for (let i = 0; i < pool.size; i++)
        (by.get(pool.group[i]!) ?? by.set(pool.group[i]!, new Set()).get(pool.group[i]!)!).add(pool.right[i]!);
      this.groupCaptions = new Map([...by].map(([g, rows]) => [g, Int32Array.from(rows)]));
    }
    const out = new Int32Array(idx.length * k);
    idx.forEach((e, n) => {
      const own = pool.right[e]!;
      const others: number[] = [];
      for (const r of this.groupCaptions!.get(pool.group[e]!)!) if (r !== own) others.push(r);
      out[n * k] = own;
      for (let j = 1; j < k; j++) {
        if (others.length === 0) out[n * k + j] = own;
        else out[n * k + j] = others.splice(rng.int(others.length), 1)[0]!;
        if (others.length === 0 && j < k - 1) others.push(...this.groupCaptions!.get(pool.group[e]!)!); // group smaller than k: repeat
      }
    });
    return out;
  }
}
