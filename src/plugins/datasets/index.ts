// The built-in datasets: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';

export const BUILTIN_DATASETS: readonly AnyPlugin[] = [];
