// The built-in tokenizers: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';
import { hfTokenizer } from './hf-tokenizer';
import { wordNgram } from './word-ngram';

export const BUILTIN_TOKENIZERS: readonly AnyPlugin[] = [wordNgram, hfTokenizer];
