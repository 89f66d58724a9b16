import { z } from 'zod';

/**
 * The schema of metrics.json (docs/metrics-json.md is its prose form; keep them in step):
 * `{ runId, experiment, backend, seed, stages: [{ name, metrics }], final: metrics }`.
 */
const fraction = z.number().min(0).max(1);

export const RetrievalScoresSchema = z
  .object({
    'R@1': fraction.describe('share of queries with a relevant item in the top 1'),
    'R@5': fraction,
    'R@10': fraction,
    medianRank: z.number().min(1).describe('median 1-based rank of the first relevant item: a rank, not a fraction'),
    mrr: fraction.describe('mean of 1 / rank of the first relevant item'),
    n: z.number().int().nonnegative().optional().describe('queries counted (mean: all languages together)'),
  })
  .strict()
  .refine((s) => s['R@1'] <= s['R@5'] + 1e-12 && s['R@5'] <= s['R@10'] + 1e-12, {
    message: 'R@1 ≤ R@5 ≤ R@10 must hold',
  });

/** Values by language code, plus `mean`: the macro mean over the languages. */
const byLang = <T extends z.ZodType>(value: T) =>
  z
    .record(z.string().min(1), value)
    .refine((r) => 'mean' in r, { message: "needs a 'mean' entry (macro mean over languages)" });

const delta = z.number().min(-1).max(1);
const DeltaSchema = z
  .object({ 'R@1': delta, 'R@5': delta, 'R@10': delta, medianRank: z.number(), mrr: delta })
  .strict();

export const NluContributionSchema = z
  .object({
    withNlu: byLang(RetrievalScoresSchema),
    withoutNlu: byLang(RetrievalScoresSchema),
    delta: byLang(DeltaSchema).describe('withNlu − withoutNlu per key'),
  })
  .strict();

const NluScoresSchema = z
  .object({
    intentAccuracy: byLang(fraction).optional(),
    slotF1: byLang(fraction).optional().describe('seqeval micro F1 over exact BIO spans'),
    exactMatch: byLang(fraction).optional().describe('intent right and every slot span right'),
  })
  .strict();

const ContributionsSchema = z
  .object({ t2t: NluContributionSchema.optional(), q2i: NluContributionSchema.optional() })
  .strict();

/** The metrics of one query subset: computed on that subset's query rows only, with the top-level definitions. */
export const SubsetMetricsSchema = z
  .object({
    nlu: NluScoresSchema.optional(),
    retrieval: z
      .object({
        t2t: byLang(RetrievalScoresSchema).optional().describe("the subset's queries → chunks of the same language"),
        q2i: byLang(RetrievalScoresSchema).optional().describe("the subset's queries → images"),
      })
      .strict()
      .optional(),
    nluContribution: ContributionsSchema.optional(),
  })
  .strict();

export const MetricsSchema = z
  .object({
    retrieval: z
      .object({
        t2i: byLang(RetrievalScoresSchema).optional().describe('captions → images, per caption language'),
        i2t: byLang(RetrievalScoresSchema).optional().describe('images → captions of each language'),
        t2t: byLang(RetrievalScoresSchema).optional().describe('queries → chunks of the same language'),
        q2i: byLang(RetrievalScoresSchema).optional().describe('NLU queries → images, per query language'),
      })
      .strict()
      .optional(),
    nlu: NluScoresSchema.optional(),
    t2tCross: z
      .record(z.string().min(1), z.record(z.string().min(1), RetrievalScoresSchema))
      .optional()
      .describe('t2tCross[queryLang][chunkLang]: the language × language t2t matrix; its diagonal is retrieval.t2t'),
    nluContribution: ContributionsSchema.optional(),
    bySubset: z
      .record(z.string().min(1), SubsetMetricsSchema)
      .optional()
      .describe(
        'bySubset.<subset>: nlu, retrieval (t2t, q2i) and nluContribution on the query rows of one subset (manifest `subset`, e.g. seen / held-out)',
      ),
    baselines: z
      .record(
        z.string().min(1),
        z
          .object({
            t2i: byLang(RetrievalScoresSchema).optional(),
            i2t: byLang(RetrievalScoresSchema).optional(),
            t2t: byLang(RetrievalScoresSchema).optional(),
          })
          .strict(),
      )
      .optional()
      .describe(
        'baselines.<camelCase plugin id>: references that need no training (pixel-knn, chance), scored like retrieval',
      ),
    intentConfusion: z
      .object({ labels: z.array(z.string()), matrix: z.array(z.array(z.number().int().nonnegative())) })
      .strict()
      .refine((c) => c.matrix.length === c.labels.length && c.matrix.every((r) => r.length === c.labels.length), {
        message: 'matrix must be labels × labels',
      })
      .optional()
      .describe('matrix[true][predicted] counts'),
  })
  .loose();

export const MetricsFileSchema = z
  .object({
    runId: z.string().min(1),
    experiment: z.string().min(1),
    backend: z.string().min(1),
    seed: z.number().int(),
    stages: z.array(z.object({ name: z.string().min(1), metrics: MetricsSchema }).strict()),
    final: MetricsSchema,
  })
  .loose();

export type Metrics = z.infer<typeof MetricsSchema>;
export type MetricsFile = z.infer<typeof MetricsFileSchema>;
export type RetrievalScoresRecord = z.infer<typeof RetrievalScoresSchema>;
