import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TokenizerLoader } from '@lenml/tokenizers';
import { UserError } from '../errors';

/** A batch of model inputs, padded to its longest row: (B, T) each, row-major. */
export interface TextInputs {
  batch: number; // B
  length: number; // T
  ids: Int32Array;
  mask: Int32Array; // 1 = token, 0 = padding
  typeIds: Int32Array; // all 0: one segment
}

interface LenmlTokenizer {
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
  model: { vocab: string[]; tokens_to_ids: Map<string, number> };
  pad_token?: string | null;
}

const PAD_NAMES = ['[PAD]', '<pad>', '<|pad|>', '<|endoftext|>', '</s>'];

/**
 * A pretrained model's own tokenizer: the tokenizer.json exported with it (WordPiece, BPE, Unigram; run by
 * @lenml/tokenizers), with the model's special tokens (its post-processor's template, e.g. [CLS] … [SEP]).
 * Texts longer than maxLength keep their first tokens and every special token (the template is applied after
 * truncating the content), as Hugging Face's truncation does. Padding uses the tokenizer's pad token (else id 0)
 * with mask 0.
 */
export class ModelTokenizer {
  private constructor(
    private readonly tok: LenmlTokenizer,
    readonly file: string,
    /** Special ids before and after the content of a single text. */
    readonly prefix: readonly number[],
    readonly suffix: readonly number[],
    readonly padId: number,
    /** One past the largest id the tokenizer can produce. */
    readonly vocabSize: number,
  ) {}

  /** Loads `file` (tokenizer.json; tokenizer_config.json next to it is read when present). */
  static load(file: string, where: string): ModelTokenizer {
    const fix = 'copy the tokenizer.json exported with the model into its folder (or set tokenizer to its path)';
    if (!existsSync(file)) throw new UserError(`${where}.tokenizer: ${file} does not exist; ${fix}`);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new UserError(
        `${where}.tokenizer: ${file} is not valid JSON (${(e as Error).message.split('\n')[0]}); ${fix}`,
      );
    }
    if (typeof json.model !== 'object' || json.model === null)
      throw new UserError(
        `${where}.tokenizer: ${file} has no "model" object: not a Hugging Face tokenizer.json; ${fix}`,
      );
    const cfgFile = join(dirname(file), 'tokenizer_config.json');
    let cfg: Record<string, unknown> = {};
    if (existsSync(cfgFile)) {
      try {
        cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new UserError(
          `${where}.tokenizer: ${cfgFile} is not valid JSON (${(e as Error).message.split('\n')[0]}); fix or remove it`,
        );
      }
    }
    let tok: LenmlTokenizer;
    try {
      tok = TokenizerLoader.fromPreTrained({
        tokenizerJSON: { added_tokens: [], ...json },
        tokenizerConfig: cfg,
      }) as unknown as LenmlTokenizer;
    } catch (e) {
      throw new UserError(
        `${where}.tokenizer: @lenml/tokenizers cannot load ${file} (${(e as Error).message.split('\n')[0]}); ${fix}`,
      );
    }
    // where the content goes in the template: find a probe text's plain ids inside its ids with special tokens
    const probe = tok.model.vocab.find((t) => /^[a-z]{2,}$/i.test(t)) ?? 'a';
    const plain = tok.encode(probe, { add_special_tokens: false });
    const full = tok.encode(probe, { add_special_tokens: true });
    let at = -1;
    for (let i = 0; at < 0 && i + plain.length <= full.length; i++)
      if (plain.every((p, j) => full[i + j] === p)) at = i;
    const [prefix, suffix] = at < 0 ? [[], []] : [full.slice(0, at), full.slice(at + plain.length)];
    const ids = [...tok.model.tokens_to_ids.values()];
    const vocabSize = Math.max(tok.model.vocab.length, ...ids.map((i) => i + 1));
    const padName = [tok.pad_token, ...PAD_NAMES].find((n) => n && tok.model.tokens_to_ids.has(n));
    return new ModelTokenizer(
      tok,
      file,
      prefix,
      suffix,
      padName ? tok.model.tokens_to_ids.get(padName)! : 0,
      vocabSize,
    );
  }

  /** Ids of one text with its special tokens, content truncated so the whole fits in maxLength. */
  ids(text: string, maxLength: number): number[] {
    const room = Math.max(0, maxLength - this.prefix.length - this.suffix.length);
    return [...this.prefix, ...this.tok.encode(text, { add_special_tokens: false }).slice(0, room), ...this.suffix];
  }

  /** Texts → (B, T) inputs padded to the longest row. */
  encode(texts: readonly string[], maxLength: number): TextInputs {
    return packIds(
      texts.map((t) => this.ids(t, maxLength)),
      this.padId,
    );
  }
}

/** Rows of ids → (B, T) inputs padded with padId (mask 0). */
export function packIds(rows: readonly (readonly number[])[], padId: number): TextInputs {
  const B = rows.length;
  const T = Math.max(1, ...rows.map((r) => r.length));
  const ids = new Int32Array(B * T).fill(padId);
  const mask = new Int32Array(B * T);
  rows.forEach((r, b) =>
    r.forEach((id, t) => {
      ids[b * T + t] = id;
      mask[b * T + t] = 1;
    }),
  );
  return { batch: B, length: T, ids, mask, typeIds: new Int32Array(B * T) };
}

/**
 * Token states (B, T, H) → (B, H): the masked mean over real tokens, or the first token's state ('cls').
 * Rows with no real token get zeros.
 */
export function poolStates(
  states: ArrayLike<number>,
  mask: ArrayLike<number>,
  B: number,
  T: number,
  H: number,
  how: 'mean' | 'cls',
): Float32Array {
  const out = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    if (how === 'cls') {
      for (let h = 0; h < H; h++) out[b * H + h] = states[b * T * H + h]!;
      continue;
    }
    let n = 0;
    for (let t = 0; t < T; t++) {
      if (!mask[b * T + t]) continue;
      n++;
      for (let h = 0; h < H; h++) out[b * H + h]! += states[(b * T + t) * H + h]!;
    }
    if (n > 0) for (let h = 0; h < H; h++) out[b * H + h]! /= n;
  }
  return out;
}
