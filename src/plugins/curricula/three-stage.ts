import { z } from 'zod';
import { defineCurriculum, type CurriculumStages } from '../../core/config/curriculum';

export const StepBudgetSchema = z.strictObject({
  stage1: z.number().int().positive().default(600),
  stage2: z.number().int().positive().default(200),
  stage3: z.number().int().positive().default(400),
});

/** The three stages of arXiv 2601.14714 for a step budget; single-stage reuses stage3 and the budget. */
export function threeStages(steps: z.output<typeof StepBudgetSchema>): CurriculumStages {
  return {
    // Contrastive image–text plus text–chunk (and query–chunk, without NLU fusion: nlu/fusion are untrained yet).
    // γ·ii (off by default, γ = 0): images of one concept in two design families as positives (not in the paper).
    stage1: {
      until: { steps: steps.stage1 },
      train: ['text', 'image'],
      weights: { alpha: 0.5, gamma: 0 },
      terms: [
        { name: 'ti', loss: 'info-nce', pair: 'image-caption', weight: 1 },
        { name: 'ii', loss: 'info-nce', pair: 'image-image', weight: 'gamma' },
        { name: 'tc', loss: 'info-nce', pair: 'caption-chunk', weight: 'alpha' },
        { name: 'qc', loss: 'info-nce', pair: 'query-chunk', weight: 'alpha', nlu: false },
      ],
      // shares are relative: with γ = 0 the ii term and its share drop out
      data: { 'image-caption': 0.5, 'image-image': 0.25, 'caption-chunk': 0.25, 'query-chunk': 0.25 },
    },
    // NLU heads and fusion on a frozen text encoder.
    stage2: {
      until: { steps: steps.stage2 },
      train: ['nlu', 'fusion'],
      freeze: ['text', 'image'],
      terms: [
        { name: 'intent', loss: 'intent-ce', pair: 'query-nlu', weight: 1 },
        { name: 'slot', loss: 'slot-ce', pair: 'query-nlu', weight: 1 },
        { name: 'align', loss: 'mse-align', pair: 'query-semantic', weight: 1 },
      ],
      data: { 'query-nlu': 0.5, 'query-semantic': 0.5 },
    },
    // Joint fine-tuning: L_TI + a·L_QC + b·(L_intent + L_slot + L_align) (+ γ·ii as in stage 1).
    stage3: {
      until: { steps: steps.stage3 },
      train: 'all',
      weights: { a: 0.5, b: 0.3, gamma: 0 },
      terms: [
        { name: 'ti', loss: 'info-nce', pair: 'image-caption', weight: 1 },
        { name: 'ii', loss: 'info-nce', pair: 'image-image', weight: 'gamma' },
        { name: 'qc', loss: 'info-nce', pair: 'query-chunk', weight: 'a' },
        { name: 'intent', loss: 'intent-ce', pair: 'query-nlu', weight: 'b' },
        { name: 'slot', loss: 'slot-ce', pair: 'query-nlu', weight: 'b' },
        { name: 'align', loss: 'mse-align', pair: 'query-semantic', weight: 'b' },
      ],
      data: { 'image-caption': 0.4, 'image-image': 0.2, 'query-chunk': 0.3, 'query-nlu': 0.15, 'query-semantic': 0.15 },
    },
  };
}

export const threeStage = defineCurriculum({
  id: 'three-stage',
  summary:
    'Contrastive image-text + α·text-chunk → NLU + fusion on a frozen text encoder → joint L_TI + a·L_QC + b·NLU',
  citation: 'arXiv 2601.14714 (unified multimodal + multilingual retrieval with NLU integration)',
  configSchema: z.strictObject({
    steps: StepBudgetSchema.default(StepBudgetSchema.parse({})).describe('steps per stage'),
  }),
  create: (cfg) => threeStages(cfg.steps),
});
