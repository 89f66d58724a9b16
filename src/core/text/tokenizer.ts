import { pluginDefiner } from '../registry/plugin';

/** A word of the input text, with UTF-16 offsets into it: text.slice(start, end) === word. */
export interface Word {
  text: string;
  start: number;
  end: number;
}

/**
 * A tokenized batch. Every token is a bag of G "pieces" (rows of the encoder's embedding table) whose
 * embeddings are summed: word-ngram uses G hashed char n-grams per word; subword tokenizers use G = 1.
 * Position 0 of every row is the CLS token; padding rows hold `padId` in every piece and mask 0.
 */
export interface EncodedBatch {
  batch: number; // B
  length: number; // T, incl. CLS
  pieces: number; // G
  ids: Int32Array; // (B, T, G) piece ids in [0, vocabSize)
  mask: Float32Array; // (B, T) 1 for CLS and real tokens, 0 for padding
  wordIndex: Int32Array; // (B, T) index into words[b] of the word a token starts or continues, -1 for CLS/pad
  firstPiece: Uint8Array; // (B, T) 1 where a token is the first token of its word (slot labels go there)
  words: Word[][]; // per text, the words kept after truncation
  /**
   * The raw texts, row for row. Pretrained towers (src/core/pretrained) read these and tokenize them their own
   * way; every tokenizer made by defineTokenizer sets them.
   */
  texts?: readonly string[];
  /**
   * Training batches drawn from a table of texts (TokenBatcher) also carry that whole table's texts (the same
   * array for every batch of the table): a frozen tower encodes all of them once, the first time it sees the table.
   */
  corpus?: readonly string[];
}

export interface Tokenizer {
  readonly id: string;
  readonly vocabSize: number; // rows of the embedding table
  readonly pieces: number; // G
  readonly maxLength: number; // T, incl. CLS
  readonly padId: number;
  readonly clsId: number;
  /** Word segmentation used for slot labels (BIO per word). `lang` is a BCP-47 hint. */
  words(text: string, lang?: string): Word[];
  /** Tokenizes; texts longer than maxLength - 1 tokens are truncated. `langs[i]` is a hint for texts[i]. */
  encode(texts: readonly string[], langs?: readonly (string | undefined)[]): EncodedBatch;
}

const base = pluginDefiner('tokenizer')<Record<string, never> | undefined, Tokenizer>();

/** Defines a tokenizer plugin; the tokenizers it creates put the raw texts on every batch (EncodedBatch.texts). */
export const defineTokenizer: typeof base = (p) =>
  base({
    ...p,
    create(config, ctx) {
      const tok = p.create(config, ctx);
      return { ...tok, encode: (texts, langs) => ({ ...tok.encode(texts, langs), texts: [...texts] }) };
    },
  });
