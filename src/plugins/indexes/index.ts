// The built-in indexes: the only file that lists them.
import type { defineIndex } from '../../core/index/vector-index';
import { exact } from './exact';
import { ivf } from './ivf';
import { lancedbIndex } from './lancedb';

export const BUILTIN_INDEXES = [exact, ivf, lancedbIndex] as const satisfies readonly ReturnType<typeof defineIndex>[];
/** The ids of the built-in indexes, as a literal type. */
export type BuiltinIndexId = (typeof BUILTIN_INDEXES)[number]['id'];
