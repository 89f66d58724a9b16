// The built-in curricula: the only file that lists them.
import type { AnyPlugin } from '../../core/registry';
import { custom } from './custom';
import { singleStage } from './single-stage';
import { threeStage } from './three-stage';

export const BUILTIN_CURRICULA: readonly AnyPlugin[] = [threeStage, singleStage, custom];
