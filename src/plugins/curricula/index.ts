// The built-in curricula: the only file that lists them.
import type { defineCurriculum } from '../../core/config/curriculum';
import { custom } from './custom';
import { distillThreeStage } from './distill-three-stage';
import { singleStage } from './single-stage';
import { threeStage } from './three-stage';

export const BUILTIN_CURRICULA = [
  threeStage,
  singleStage,
  custom,
  distillThreeStage,
] as const satisfies readonly ReturnType<typeof defineCurriculum>[];
/** The ids of the built-in curricula, as a literal type. */
export type BuiltinCurriculumId = (typeof BUILTIN_CURRICULA)[number]['id'];
