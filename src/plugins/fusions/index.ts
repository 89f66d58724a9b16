// The built-in fusions: the only file that lists them.
import type { defineFusion } from '../../core/model/fusion';
import { crossAttention } from './cross-attention';
import { late } from './late';
import { none } from './none';

export const BUILTIN_FUSIONS = [crossAttention, late, none] as const satisfies readonly ReturnType<
  typeof defineFusion
>[];
/** The ids of the built-in fusions, as a literal type. */
export type BuiltinFusionId = (typeof BUILTIN_FUSIONS)[number]['id'];
