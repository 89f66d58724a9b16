import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TokenizerLoader } from '@lenml/tokenizers';
import { z } from 'zod';
import { UserError } from '../../core/errors';
import { alignTokens, surfacesFromPrefixes } from '../../core/text/align';
import { packRows, type TokenRow } from '../../core/text/batch';
import { defineTokenizer, type EncodedBatch, type Tokenizer, type Word } from '../../core/text/tokenizer';
import { segmentWords } from '../../core/text/words';

/** The part of @lenml/tokenizers' PreTrainedTokenizer used here. */
interface HfTokenizer {
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
  decode(ids: number[], opts: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
  model: { vocab: string[]; tokens_to_ids: Map<string, number>; convert_ids_to_tokens(ids: number[]): string[] };
  decoder: { decode_chain(tokens: string[]): string[]; end_of_word_suffix?: string | null } | null;
  bos_token?: string | null; // from tokenizer_config.json
  pad_token?: string | null; // from tokenizer_config.json (pad_token, else eos_token)
  unk_token_id?: number;
}

const CLS_NAMES = ['[CLS]', '<s>', '<|startoftext|>', '<bos>', '[BOS]', '<|begin_of_text|>'];
const PAD_NAMES = ['[PAD]', '<pad>', '<|pad|>', '<|endoftext|>', '</s>', '<eos>'];

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What each token adds to the decoded text. The decoder's decode_chain gives one string per token for
 * WordPiece, Metaspace, BPE-suffix, Replace/Strip decoders (O(T)); when it returns another count
 * (ByteLevel, ByteFallback and Fuse merge tokens) or `exact` is set, every prefix is decoded (O(T²)).
 */
function tokenSurfaces(tok: HfTokenizer, ids: number[], exact = false): string[] {
  if (!exact) {
    const tokens = tok.model.convert_ids_to_tokens(ids);
    if (!tok.decoder) return tokens; // the library joins tokens with spaces
    const chain = tok.decoder.decode_chain(tokens);
    const suffix = tok.decoder.end_of_word_suffix;
    if (chain.length === tokens.length) return suffix ? chain.map((t) => t.replaceAll(suffix, ' ')) : chain;
  }
  return surfacesFromPrefixes(
    ids.map((_, k) => tok.decode(ids.slice(0, k + 1), { clean_up_tokenization_spaces: false })),
  );
}

/** A token named in tokenizer_config.json: a string or an AddedToken object. */
function configToken(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  return isObj(v) && typeof v.content === 'string' ? v.content : undefined;
}

/** The token a post-processor puts first (BertProcessing / RobertaProcessing cls, TemplateProcessing's first SpecialToken). */
function postProcessorCls(pp: unknown): string | undefined {
  if (!isObj(pp)) return undefined;
  if (Array.isArray(pp.cls) && typeof pp.cls[0] === 'string') return pp.cls[0];
  if (Array.isArray(pp.single) && isObj(pp.single[0]) && isObj(pp.single[0].SpecialToken)) {
    const id = pp.single[0].SpecialToken.id;
    return typeof id === 'string' ? id : undefined;
  }
  if (Array.isArray(pp.processors))
    for (const p of pp.processors) {
      const c = postProcessorCls(p);
      if (c) return c;
    }
  return undefined;
}

function readJson(path: string, what: string, fix: string): Json {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `${path}: cannot read ${what} (${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}); ${fix}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new UserError(`${path}: ${what} is not valid JSON (${(e as Error).message}); ${fix}`);
  }
  if (!isObj(json)) throw new UserError(`${path}: ${what} must be a JSON object; ${fix}`);
  return json;
}

/**
 * A Hugging Face tokenizer.json (WordPiece, BPE, Unigram, …) run by @lenml/tokenizers (transformers.js's
 * tokenizers), G = 1. Token ids are exactly the library's `encode(text, { add_special_tokens: false })`,
 * truncated to maxLength - 1, after our CLS; no SEP/EOS is appended. CLS: `clsToken`, else the
 * tokenizer_config.json cls_token / bos_token, else the post-processor's first special token, else the
 * first of [CLS] <s> <|startoftext|> <bos> [BOS] in the vocabulary. Pad likewise (padToken, pad_token /
 * eos_token, [PAD] <pad> <|endoftext|> </s> …); when there is none, or it is the CLS token, pad is a new id
 * one past the library's vocabulary (vocabSize = that + 1), since the encoder zeroes pad pieces.
 * Words: segmentWords (Intl.Segmenter), as word-ngram. The library gives no char offsets, so each token's
 * span is recovered from what it adds to the decoded text (tokenSurfaces), matched against the original
 * text in a folded form that ignores case, accents and spaces (alignTokens). A token belongs to
 * the first word its span overlaps; tokens of punctuation/spaces get wordIndex -1 (mask 1, never
 * firstPiece); the unknown token takes the text it replaced. Words kept: all of them when nothing was
 * truncated, else the words up to the last one with a kept token. Paths resolve against the working directory.
 */
export const hfTokenizer = defineTokenizer({
  id: 'hf-tokenizer',
  summary: 'A local Hugging Face tokenizer.json (via @lenml/tokenizers), G = 1, offsets recovered by decoding',
  configSchema: z.object({
    path: z.string().min(1).optional().describe('local tokenizer.json (required when the tokenizer is created)'),
    configPath: z.string().min(1).optional().describe('tokenizer_config.json; default: the one next to `path`, if any'),
    maxLength: z
      .number()
      .int()
      .min(2)
      .default(32)
      .describe('T incl. CLS: longer texts keep their first maxLength - 1 tokens'),
    alignment: z
      .enum(['auto', 'prefixes'])
      .default('auto')
      .describe(
        "how token offsets are recovered: 'auto' = per-token decoder output when the decoder keeps one string per token, else 'prefixes' (decode every prefix, O(T²))",
      ),
    clsToken: z.string().min(1).optional().describe("token put at position 0 (default: the tokenizer's CLS/BOS)"),
    padToken: z.string().min(1).optional().describe("token in padding positions (default: the tokenizer's pad token)"),
  }),
  create(config): Tokenizer {
    const where = 'tokenizer hf-tokenizer';
    if (!config.path) throw new UserError(`${where}: path is required; set tokenizer.path to a local tokenizer.json`);
    const path = resolve(config.path);
    const fix = 'set tokenizer.path to a Hugging Face tokenizer.json';
    const json = readJson(path, 'tokenizer.json', fix);
    if (!isObj(json.model)) throw new UserError(`${path}: tokenizer.json has no "model" object; ${fix}`);
    const sibling = join(dirname(path), 'tokenizer_config.json');
    const configPath = config.configPath ? resolve(config.configPath) : existsSync(sibling) ? sibling : undefined;
    const tokenizerConfig = configPath
      ? readJson(configPath, 'tokenizer_config.json', 'fix it or set tokenizer.configPath')
      : {};
    let tok: HfTokenizer;
    try {
      tok = TokenizerLoader.fromPreTrained({
        tokenizerJSON: { added_tokens: [], ...json },
        tokenizerConfig,
      }) as unknown as HfTokenizer;
    } catch (e) {
      throw new UserError(
        `${path}: @lenml/tokenizers cannot load this tokenizer.json (${(e as Error).message}); ${fix}`,
      );
    }
    const idOf = (t: string | null | undefined) => (t ? tok.model.tokens_to_ids.get(t) : undefined);
    const pick = (names: readonly (string | null | undefined)[]) => names.map(idOf).find((i) => i !== undefined);
    if (config.clsToken !== undefined && idOf(config.clsToken) === undefined) {
      throw new UserError(`${where}: clsToken '${config.clsToken}' is not in ${path}; use a token of its vocabulary`);
    }
    if (config.padToken !== undefined && idOf(config.padToken) === undefined) {
      throw new UserError(`${where}: padToken '${config.padToken}' is not in ${path}; use a token of its vocabulary`);
    }
    const clsId = pick([
      config.clsToken,
      configToken(tokenizerConfig.cls_token),
      tok.bos_token,
      postProcessorCls(json.post_processor),
      ...CLS_NAMES,
    ]);
    if (clsId === undefined) {
      throw new UserError(
        `${where}: ${path} has no CLS/BOS token; set tokenizer.clsToken to a token of its vocabulary`,
      );
    }
    const libVocab = Math.max(tok.model.vocab.length, ...[...tok.model.tokens_to_ids.values()].map((i) => i + 1));
    const named = pick([config.padToken, tok.pad_token, ...PAD_NAMES]);
    // the encoder zeroes pieces equal to padId: never share it with CLS or (by falling back to 0) a text token
    const padId = named !== undefined && named !== clsId ? named : libVocab;
    const vocabSize = padId === libVocab ? libVocab + 1 : libVocab;
    const T = config.maxLength;
    const exact = config.alignment === 'prefixes';
    const unk = tok.unk_token_id;

    const encodeOne = (text: string, lang: string | undefined): TokenRow => {
      const all = tok.encode(text, { add_special_tokens: false });
      const ids = all.slice(0, T - 1);
      const spans = alignTokens(text, tokenSurfaces(tok, ids, exact), (k) => ids[k] === unk);
      const words = segmentWords(text, lang);
      const wordIndex = new Int32Array(ids.length).fill(-1);
      let w = 0;
      let lastWord = -1;
      for (let k = 0; k < ids.length; k++) {
        const [s, e] = [spans[2 * k]!, spans[2 * k + 1]!];
        if (s < 0) continue;
        while (w < words.length && words[w]!.end <= s) w++; // spans are left to right
        if (w < words.length && words[w]!.start < e) lastWord = wordIndex[k] = w;
      }
      const kept: Word[] = all.length > ids.length ? words.slice(0, lastWord + 1) : words;
      return { pieces: ids.map((id) => Int32Array.of(id)), wordIndex, words: kept };
    };

    return {
      id: 'hf-tokenizer',
      vocabSize,
      pieces: 1,
      maxLength: T,
      padId,
      clsId,
      words: (text, lang) => segmentWords(text, lang),
      encode: (texts, langs): EncodedBatch =>
        packRows(
          texts.map((t, b) => encodeOne(t, langs?.[b])),
          1,
          clsId,
          padId,
        ),
    };
  },
});
