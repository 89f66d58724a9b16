import type { BaselinePlugin } from '../../core/eval/baseline';
import { chance } from './chance';
import { pixelKnn } from './pixel-knn';

export const BUILTIN_BASELINES = [pixelKnn, chance] as const satisfies readonly BaselinePlugin[];
/** The ids of the built-in baselines, as a literal type. */
export type BuiltinBaselineId = (typeof BUILTIN_BASELINES)[number]['id'];
