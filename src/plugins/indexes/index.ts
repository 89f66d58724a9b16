// The built-in indexes: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';

export const BUILTIN_INDEXES: readonly AnyPlugin[] = [];
