// The built-in datasets: the only file that lists them.
import type { DatasetPlugin } from '../../core/data/dataset';
import { emojiCldr } from './emoji-cldr';
import { manifest } from './manifest';

export const BUILTIN_DATASETS = [emojiCldr, manifest] as const satisfies readonly DatasetPlugin[];
/** The ids of the built-in datasets, as a literal type. */
export type BuiltinDatasetId = (typeof BUILTIN_DATASETS)[number]['id'];
