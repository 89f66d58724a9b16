// The built-in tokenizers: the only file that lists them.
import type { defineTokenizer } from '../../core/text/tokenizer';
import { hfTokenizer } from './hf-tokenizer';
import { wordNgram } from './word-ngram';

export const BUILTIN_TOKENIZERS = [wordNgram, hfTokenizer] as const satisfies readonly ReturnType<
  typeof defineTokenizer
>[];
/** The ids of the built-in tokenizers, as a literal type. */
export type BuiltinTokenizerId = (typeof BUILTIN_TOKENIZERS)[number]['id'];
