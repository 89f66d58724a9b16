import type { EncodedBatch, Tokenizer, Word } from '../text/tokenizer';

/**
 * Texts tokenized once, padded to the tokenizer's maxLength, as flat typed arrays; a step's batch copies
 * rows out of it (TokenTable.rows) instead of tokenizing again.
 */
export interface TokenTable {
  n: number; // N texts
  length: number; // T (the tokenizer's maxLength)
  pieces: number; // G
  padId: number;
  ids: Int32Array; // (N, T, G)
  mask: Float32Array; // (N, T)
  wordIndex: Int32Array; // (N, T)
  firstPiece: Uint8Array; // (N, T)
  tokens: Int32Array; // (N) tokens in use incl. CLS
  /** (N) the raw texts (pretrained towers read them: EncodedBatch.texts / corpus). */
  texts?: readonly string[];
}

/** Called per text once its row of `table` is filled, with the tokenizer's words (slot labels need them). */
export type OnEncoded = (row: number, words: readonly Word[], table: TokenTable) => void;

/** Tokenizes `texts` in chunks of `chunk` into one table; `onEncoded` sees each row's words (for BIO tags). */
export function buildTokenTable(
  tok: Tokenizer,
  texts: readonly string[],
  langs?: readonly (string | undefined)[],
  onEncoded?: OnEncoded,
  chunk = 1024,
): TokenTable {
  const n = texts.length;
  const T = tok.maxLength;
  const G = tok.pieces;
  const t: TokenTable = {
    n,
    length: T,
    pieces: G,
    padId: tok.padId,
    ids: new Int32Array(n * T * G).fill(tok.padId),
    mask: new Float32Array(n * T),
    wordIndex: new Int32Array(n * T).fill(-1),
    firstPiece: new Uint8Array(n * T),
    tokens: new Int32Array(n),
    texts: [...texts],
  };
  for (let s = 0; s < n; s += chunk) {
    const e = Math.min(n, s + chunk);
    const enc = tok.encode(texts.slice(s, e), langs?.slice(s, e));
    const Tc = enc.length;
    for (let b = 0; b < e - s; b++) {
      const row = s + b;
      let used = 0;
      for (let j = 0; j < Tc; j++) {
        const m = enc.mask[b * Tc + j]!;
        t.mask[row * T + j] = m;
        t.wordIndex[row * T + j] = enc.wordIndex[b * Tc + j]!;
        t.firstPiece[row * T + j] = enc.firstPiece[b * Tc + j]!;
        t.ids.set(enc.ids.subarray((b * Tc + j) * G, (b * Tc + j + 1) * G), (row * T + j) * G);
        if (m > 0) used = j + 1;
      }
      t.tokens[row] = used;
      onEncoded?.(row, enc.words[b] ?? [], t);
    }
  }
  return t;
}

const NO_WORDS: Word[] = [];

/**
 * A reusable batch of rows of one TokenTable: buffers are allocated once for `capacity` rows of T tokens;
 * each call copies the rows in and trims T to the longest row of the batch. The returned EncodedBatch views
 * the buffers: it is valid until the next call. `words` are not kept (models read ids/mask only); `texts` and
 * `corpus` are set when the table holds its texts.
 */
export class TokenBatcher {
  private readonly ids: Int32Array;
  private readonly mask: Float32Array;
  private readonly wordIndex: Int32Array;
  private readonly firstPiece: Uint8Array;

  constructor(
    readonly table: TokenTable,
    readonly capacity: number,
  ) {
    const { length: T, pieces: G } = table;
    this.ids = new Int32Array(capacity * T * G);
    this.mask = new Float32Array(capacity * T);
    this.wordIndex = new Int32Array(capacity * T);
    this.firstPiece = new Uint8Array(capacity * T);
  }

  /** Rows `rows` of the table → an EncodedBatch of shape (rows.length, Tb, G), Tb = longest row. */
  rows(rows: ArrayLike<number>): EncodedBatch {
    const B = rows.length;
    if (B > this.capacity) throw new Error(`TokenBatcher: ${B} rows > capacity ${this.capacity}`);
    const { length: T, pieces: G } = this.table;
    let Tb = 1;
    for (let i = 0; i < B; i++) Tb = Math.max(Tb, this.table.tokens[rows[i]!]!);
    // a row's ids (Tb·G, a few hundred) as one block copy; its per-token values (Tb, a few dozen) by element loops,
    // where a subarray view per copy cost more than the copy (node microbench, G = 12: 0.42 → 0.24 ms a step's rows)
    const { ids, mask, wordIndex, firstPiece } = this.table;
    for (let i = 0; i < B; i++) {
      const r = rows[i]!;
      this.ids.set(ids.subarray(r * T * G, r * T * G + Tb * G), i * Tb * G);
      for (let k = 0, from = r * T, to = i * Tb; k < Tb; k++) {
        this.mask[to + k] = mask[from + k]!;
        this.wordIndex[to + k] = wordIndex[from + k]!;
        this.firstPiece[to + k] = firstPiece[from + k]!;
      }
    }
    return {
      batch: B,
      length: Tb,
      pieces: G,
      ids: this.ids.subarray(0, B * Tb * G),
      mask: this.mask.subarray(0, B * Tb),
      wordIndex: this.wordIndex.subarray(0, B * Tb),
      firstPiece: this.firstPiece.subarray(0, B * Tb),
      words: Array.from({ length: B }, () => NO_WORDS),
      ...(this.table.texts
        ? { texts: Array.from({ length: B }, (_, i) => this.table.texts![rows[i]!]!), corpus: this.table.texts }
        : {}),
    };
  }
}

/** Per-token rows (N, T) of the table, copied for `rows` and trimmed to Tb like TokenBatcher.rows. */
export function gatherTokenRows<A extends Int32Array | Float32Array>(
  src: A,
  T: number,
  rows: ArrayLike<number>,
  Tb: number,
  out: A,
): A {
  for (let i = 0; i < rows.length; i++) for (let k = 0; k < Tb; k++) out[i * Tb + k] = src[rows[i]! * T + k]!;
  return out.subarray(0, rows.length * Tb) as A;
}
