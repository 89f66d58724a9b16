// The built-in fusions: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';
import { crossAttention } from './cross-attention';
import { late } from './late';
import { none } from './none';

export const BUILTIN_FUSIONS: readonly AnyPlugin[] = [crossAttention, late, none];
