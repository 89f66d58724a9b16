import { z } from 'zod';

/** Config fields shared by the transformer encoders (text, NLU, image); defaults sized for 2 CPU cores. */
export const transformerFields = {
  hidden: z.number().int().min(8).default(128).describe('H, width of the token states'),
  layers: z.number().int().min(1).default(2).describe('pre-LN transformer blocks'),
  heads: z.number().int().min(1).default(4).describe('attention heads; must divide hidden'),
  mlpRatio: z.number().positive().default(2).describe('MLP hidden width = mlpRatio·hidden'),
  dropout: z
    .number()
    .min(0)
    .max(0.9)
    .default(0)
    .describe('dropout on residual branches and attention probabilities (training only)'),
};

/** Refinement: heads must divide hidden (issue on `heads`). */
export function headsDivideHidden(c: { hidden: number; heads: number }, ctx: z.RefinementCtx): void {
  if (c.hidden % c.heads !== 0) {
    ctx.addIssue({ code: 'custom', path: ['heads'], message: `heads ${c.heads} must divide hidden ${c.hidden}` });
  }
}
