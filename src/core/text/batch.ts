import type { EncodedBatch, Word } from './tokenizer';

/** One text's tokens after truncation, CLS excluded: what a tokenizer computes before packing. */
export interface TokenRow {
  pieces: Int32Array[]; // per token, 1..G piece ids (fewer than G are padded with padId)
  wordIndex: ArrayLike<number>; // per token, index into `words`, -1 for a token outside every word
  words: Word[]; // the words kept
}

/**
 * Packs rows into an EncodedBatch: position 0 = CLS (clsId, then padId in the other G - 1 pieces), then
 * the row's tokens; T = the longest row + 1 (padding to the batch's longest row, not to maxLength).
 * firstPiece is 1 on the first token of each word (the first token with that wordIndex).
 */
export function packRows(rows: readonly TokenRow[], G: number, clsId: number, padId: number): EncodedBatch {
  const B = rows.length;
  let T = 1;
  for (const r of rows) T = Math.max(T, r.pieces.length + 1);
  const ids = new Int32Array(B * T * G).fill(padId); // (B, T, G)
  const mask = new Float32Array(B * T); // (B, T)
  const wordIndex = new Int32Array(B * T).fill(-1); // (B, T)
  const firstPiece = new Uint8Array(B * T); // (B, T)
  rows.forEach((r, b) => {
    ids[b * T * G] = clsId;
    mask[b * T] = 1;
    let last = -1;
    r.pieces.forEach((p, j) => {
      const t = b * T + j + 1;
      if (p.length > G) throw new Error(`packRows: token with ${p.length} pieces > G = ${G}`);
      ids.set(p, t * G);
      mask[t] = 1;
      const w = r.wordIndex[j]!;
      wordIndex[t] = w;
      if (w >= 0 && w > last) {
        firstPiece[t] = 1;
        last = w;
      }
    });
  });
  return { batch: B, length: T, pieces: G, ids, mask, wordIndex, firstPiece, words: rows.map((r) => r.words) };
}
