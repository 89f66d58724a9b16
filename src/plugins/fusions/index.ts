// The built-in fusions: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';

export const BUILTIN_FUSIONS: readonly AnyPlugin[] = [];
