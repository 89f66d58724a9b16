// The built-in tokenizers: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';

export const BUILTIN_TOKENIZERS: readonly AnyPlugin[] = [];
