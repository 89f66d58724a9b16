// The built-in encoders: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';

export const BUILTIN_ENCODERS: readonly AnyPlugin[] = [];
