import { z } from 'zod';

/**
 * A validation split that measures transfer to a design the model has not trained on: for a seeded slice of
 * training groups that have images of more than one family, the images of one family leave the train split and
 * form the split `split`, together with copies of those groups' captions, chunks and queries (the texts stay in
 * train too, as a test split's seen concepts do) and of a proportional share of the group-less queries. The groups
 * keep their other families' images in train.
 */
export const HoldoutSchema = z.strictObject({
  family: z
    .string()
    .min(1)
    .default('auto')
    .describe("image family held out; 'auto' = the last of the train families in sorted order"),
  groups: z.number().int().positive().default(150).describe('groups of the slice (fewer if fewer qualify)'),
  seed: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('chooses the slice; fixed, so every run of a comparison validates on the same images'),
  split: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/)
    .default('val-design')
    .describe('name of the new split'),
});
export type Holdout = z.output<typeof HoldoutSchema>;
