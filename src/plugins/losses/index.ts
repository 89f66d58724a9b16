// The built-in losses: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';

export const BUILTIN_LOSSES: readonly AnyPlugin[] = [];
