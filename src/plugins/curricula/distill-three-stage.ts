import { z } from 'zod';
import { defineCurriculum } from '../../core/config/curriculum';
import { UserError } from '../../core/errors';
import { StepBudgetSchema, threeStages } from './three-stage';

/**
 * Multilingual knowledge distillation (Reimers & Gurevych 2020) before the paper's three stages: a `distill` stage
 * trains the text encoder alone to map every caption and chunk in language X, and its English counterpart, onto the
 * teacher's embedding of the English text (distill-mse on 'translation' pairs; the model needs model.teacher, e.g.
 * use-lite-en); then three-stage as it is. The distill steps are taken out of stage1, so the total equals
 * three-stage's for the same `steps` (the like-for-like comparison: `--set curriculum.id=three-stage`). An
 * experiment's stages.stage1/2/3 overlays apply to the stages of the same name.
 */
export const distillThreeStage = defineCurriculum({
  id: 'distill-three-stage',
  summary: 'Distil a teacher text encoder into the multilingual text tower (translation pairs), then the three stages',
  citation: 'Reimers & Gurevych, EMNLP 2020 (multilingual knowledge distillation); arXiv 2601.14714 (three stages)',
  configSchema: z.strictObject({
    steps: StepBudgetSchema.default(StepBudgetSchema.parse({})).describe(
      "three-stage's step budget; the distill stage's steps come out of stage1",
    ),
    distill: z.number().int().positive().default(50).describe('steps of the distill stage, taken out of stage1'),
  }),
  create: (cfg) => {
    if (cfg.distill >= cfg.steps.stage1) {
      throw new UserError(
        `curriculum.distill: ${cfg.distill} distill steps leave none of stage1's ${cfg.steps.stage1}; set distill below ${cfg.steps.stage1} or raise curriculum.steps.stage1`,
      );
    }
    const { stage1, ...rest } = threeStages({ ...cfg.steps, stage1: cfg.steps.stage1 - cfg.distill });
    return {
      distill: {
        until: { steps: cfg.distill },
        train: ['text'],
        terms: [{ name: 'kd', loss: 'distill-mse', pair: 'translation', weight: 1 }],
        data: { translation: 1 },
      },
      stage1: stage1!,
      ...rest,
    };
  },
});
