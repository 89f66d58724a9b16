import type { BaselinePlugin } from '../../core/eval/baseline';
import { chance } from './chance';
import { pixelKnn } from './pixel-knn';

export const BUILTIN_BASELINES: readonly BaselinePlugin[] = [pixelKnn, chance];
