import { z } from 'zod';
import { UserError } from '../../core/errors';
import { packRows, type TokenRow } from '../../core/text/batch';
import { wordPieceIds, type NgramSpec } from '../../core/text/char-ngrams';
import { defineTokenizer, type EncodedBatch, type Tokenizer } from '../../core/text/tokenizer';
import { segmentWords } from '../../core/text/words';

export const PAD_ID = 0;
export const CLS_ID = 1;
const RESERVED = 2;
const CACHE_MAX = 100_000; // normalised word → ids; cleared when full

/**
 * One token per word, each a bag of G hashed pieces (fastText subword embeddings): words come from
 * segmentWords (Intl.Segmenter, isWordLike; punctuation dropped; ICU dictionary words for CJK/Thai),
 * are NFKC-normalised and lower-cased, and become `<word>` (whole-word piece) plus its char n-grams of
 * minN..maxN code points, FNV-1a-hashed (32-bit, over UTF-8) into `buckets` rows; see wordPieceIds for the
 * subset kept when a word has more than G - 1 n-grams.
 * Ids: 0 = pad (every unused piece, and padding tokens), 1 = CLS (its only piece), 2..buckets+1 = buckets;
 * vocabSize = buckets + 2. The encoder must treat pieces equal to padId as absent (e.g. a zero row).
 * Shapes: ids (B, T, G) with T = 1 + the most words in the batch, at most maxLength; truncation keeps the
 * first maxLength - 1 words. Word offsets index the original text (before normalisation).
 * Defaults: n-grams 2..4 include the character bigrams CJK needs (most CJK words are 1–3 characters) and
 * cover short words fully (`dog`: whole + 9 n-grams); G = 12 keeps every piece of words up to 3 letters
 * and 11 of a 7-letter word's 21 n-grams; 2^15 buckets × 128 dims is 4.2M parameters (16 MB): more
 * buckets mean fewer collisions but a bigger table (and Adam state) to update every step.
 */
export const wordNgram = defineTokenizer({
  id: 'word-ngram',
  summary: 'Intl.Segmenter words → bags of hashed char n-grams (fastText-style, FNV-1a into buckets)',
  citation: `@article{bojanowski2017fasttext,
  title = {Enriching Word Vectors with Subword Information},
  author = {Bojanowski, Piotr and Grave, Edouard and Joulin, Armand and Mikolov, Tomas},
  journal = {TACL}, volume = {5}, pages = {135--146}, year = {2017}
}`,
  configSchema: z
    .object({
      buckets: z
        .number()
        .int()
        .min(1)
        .max(2 ** 24)
        .default(2 ** 15)
        .describe('hash buckets = embedding rows for pieces (vocabSize = buckets + 2)'),
      minN: z
        .number()
        .int()
        .min(1)
        .default(2)
        .describe('shortest char n-gram, in code points incl. the < > word markers'),
      maxN: z.number().int().min(1).default(4).describe('longest char n-gram'),
      pieces: z
        .number()
        .int()
        .min(1)
        .max(64)
        .default(12)
        .describe('G: pieces per token (whole word + up to G - 1 n-grams); fewer are padded with 0'),
      maxLength: z
        .number()
        .int()
        .min(2)
        .default(32)
        .describe('T incl. CLS: longer texts keep their first maxLength - 1 words'),
      lowercase: z.boolean().default(true).describe('lower-case words (after NFKC) before hashing'),
    })
    .refine((c) => c.minN <= c.maxN, { message: 'minN must be ≤ maxN', path: ['minN'] }),
  create(config): Tokenizer {
    const { buckets, minN, maxN, pieces: G, maxLength, lowercase } = config;
    if (minN > maxN) throw new UserError(`tokenizer word-ngram: minN ${minN} > maxN ${maxN}; set minN ≤ maxN`);
    const spec: NgramSpec = { minN, maxN, maxPieces: G, buckets, offset: RESERVED };
    const cache = new Map<string, Int32Array>();
    const idsOf = (word: string): Int32Array => {
      const norm = lowercase ? word.normalize('NFKC').toLowerCase() : word.normalize('NFKC');
      let ids = cache.get(norm);
      if (!ids) {
        if (cache.size >= CACHE_MAX) cache.clear();
        ids = wordPieceIds(norm, spec);
        cache.set(norm, ids);
      }
      return ids;
    };
    return {
      id: 'word-ngram',
      vocabSize: buckets + RESERVED,
      pieces: G,
      maxLength,
      padId: PAD_ID,
      clsId: CLS_ID,
      words: (text, lang) => segmentWords(text, lang),
      encode(texts, langs): EncodedBatch {
        const rows: TokenRow[] = texts.map((text, b) => {
          const words = segmentWords(text, langs?.[b]).slice(0, maxLength - 1);
          return { pieces: words.map((w) => idsOf(w.text)), wordIndex: words.map((_, i) => i), words };
        });
        return packRows(rows, G, CLS_ID, PAD_ID);
      },
    };
  },
});
