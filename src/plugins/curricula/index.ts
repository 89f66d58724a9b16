// The built-in curricula: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';

export const BUILTIN_CURRICULA: readonly AnyPlugin[] = [];
