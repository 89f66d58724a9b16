// The built-in metrics: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';

export const BUILTIN_METRICS: readonly AnyPlugin[] = [];
