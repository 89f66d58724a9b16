import { z } from 'zod';
import { defineCurriculum } from '../../core/config/curriculum';
import { StepBudgetSchema, threeStages } from './three-stage';

/**
 * The ablation of three-stage: its stage-3 loss from the start, for the same total number of steps. An experiment's
 * `stages.stage3` overlay (weights, batch mix, captionsPerImage, …) applies to the joint stage; stage-1/2 overlays are
 * accepted and dropped, so `--set curriculum.id=single-stage` on a three-stage experiment is the like-for-like ablation.
 */
export const singleStage = defineCurriculum({
  id: 'single-stage',
  overlayAliases: { stage3: 'joint', stage1: null, stage2: null },
  summary: "Joint training from scratch with three-stage's stage-3 loss for the sum of its steps",
  configSchema: z.strictObject({
    steps: StepBudgetSchema.default(StepBudgetSchema.parse({})).describe(
      "three-stage's step budget; this runs their sum",
    ),
  }),
  create: (cfg) => {
    const joint = threeStages(cfg.steps).stage3!;
    return { joint: { ...joint, until: { steps: cfg.steps.stage1 + cfg.steps.stage2 + cfg.steps.stage3 } } };
  },
});
