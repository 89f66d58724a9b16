// fastText-style subword pieces of one word, hashed into buckets (Bojanowski et al. 2017).
import { fnv1aBytes, utf8Encode } from './hash';

export interface NgramSpec {
  minN: number; // smallest n-gram, in code points, boundary markers included
  maxN: number; // largest n-gram
  maxPieces: number; // G: at most this many ids per word, the whole word included
  buckets: number; // hash table size
  offset: number; // ids start here (reserved ids below it)
}

/** The boundary markers around a word, as in fastText: `dog` → `<dog>`. */
export const BOW = '<';
export const EOW = '>';

/**
 * The n-gram strings of `<word>` of sizes minN..maxN in code points, by size then position, without the
 * whole `<word>` itself (that one is the word piece). Duplicates are kept. For tests and inspection.
 */
export function charNgrams(word: string, minN: number, maxN: number): string[] {
  const cps = Array.from(BOW + word + EOW);
  const out: string[] = [];
  for (let n = minN; n <= Math.min(maxN, cps.length - 1); n++) {
    for (let i = 0; i + n <= cps.length; i++) out.push(cps.slice(i, i + n).join(''));
  }
  return out;
}

/** Bucket id of the FNV-1a hash of a piece string (spec.offset + h mod buckets). */
export function bucketOf(h: number, spec: NgramSpec): number {
  return spec.offset + (h % spec.buckets);
}

let bytes = new Uint8Array(256);
let starts = new Int32Array(64);
let gramIds = new Int32Array(256);
let gramHashes = new Float64Array(256);

/**
 * The ids of one (already normalised) word: first the whole `<word>`, then its char n-grams (charNgrams
 * order), each FNV-1a-hashed over UTF-8 and taken mod `buckets`. Ids are unique within the word (n-grams
 * landing in the same bucket as an earlier piece are dropped: they would add the same row again). When
 * more than G - 1 n-gram ids remain, the G - 1 with the smallest 32-bit hashes are kept (a bottom-k
 * MinHash sketch): a consistent subset, so words sharing n-grams (dog/dogs, Hund/Hunde) tend to keep the
 * shared ones, which a "first k by position" rule would not; kept ids stay in charNgrams order.
 * Returns 1..G ids (no padding).
 */
export function wordPieceIds(word: string, spec: NgramSpec): Int32Array {
  if (bytes.length < (word.length + 2) * 4) bytes = new Uint8Array((word.length + 2) * 8);
  if (starts.length < word.length + 3) starts = new Int32Array((word.length + 3) * 2);
  let L = 0; // code points of <word>
  let nb = 0;
  starts[L++] = nb;
  bytes[nb++] = 0x3c; // '<'
  for (const ch of word) {
    const cp = ch.codePointAt(0)!;
    starts[L++] = nb;
    nb = utf8Encode(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp, bytes, nb); // lone surrogate → U+FFFD, as fnv1a32
  }
  starts[L++] = nb;
  bytes[nb++] = 0x3e; // '>'
  starts[L] = nb;

  const wholeId = bucketOf(fnv1aBytes(bytes, 0, nb), spec);
  const G = spec.maxPieces;
  if (G <= 1) return Int32Array.of(wholeId);
  const maxGrams = (spec.maxN - spec.minN + 1) * L;
  if (gramIds.length < maxGrams) [gramIds, gramHashes] = [new Int32Array(maxGrams * 2), new Float64Array(maxGrams * 2)];
  let m = 0;
  for (let n = spec.minN; n <= Math.min(spec.maxN, L - 1); n++) {
    for (let i = 0; i + n <= L; i++) {
      const h = fnv1aBytes(bytes, starts[i]!, starts[i + n]!);
      const id = bucketOf(h, spec);
      let dup = id === wholeId;
      for (let j = 0; j < m && !dup; j++) dup = gramIds[j] === id;
      if (dup) continue;
      gramIds[m] = id;
      gramHashes[m++] = h;
    }
  }
  const out = new Int32Array(Math.min(G, m + 1));
  out[0] = wholeId;
  if (m <= G - 1) {
    out.set(gramIds.subarray(0, m), 1);
    return out;
  }
  // the (G-1)-th smallest hash is the cut: hashes are distinct (equal hash → equal id → deduped above)
  const cut = Float64Array.from(gramHashes.subarray(0, m)).sort()[G - 2]!;
  for (let j = 0, k = 1; j < m; j++) if (gramHashes[j]! <= cut) out[k++] = gramIds[j]!;
  return out;
}
