// The built-in observers: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';

export const BUILTIN_OBSERVERS: readonly AnyPlugin[] = [];
