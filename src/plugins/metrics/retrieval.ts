import { z } from 'zod';
import { defineMetric } from '../../core/eval/metric';
import type { Metrics } from '../../core/eval/metrics-schema';
import { retrievalMetrics, RETRIEVAL_TASKS, type RetrievalTask } from '../../core/eval/retrieval';
import { querySubsets, subsetRetrievalMetrics } from '../../core/eval/subsets';

/**
 * Recall@1/5/10, median rank and MRR of the first relevant item (relevant = same group), per language and
 * macro-averaged, for t2i, i2t, t2t (+ the t2t language × language matrix) and optionally q2i. Ties are
 * pessimistic: an irrelevant item scoring the same as the best relevant one ranks above it.
 * With `queriesWithoutNlu` in the inputs it also reports the NLU contribution (with − without). Queries with a
 * `subset` also get t2t / q2i (and their NLU contribution) with only that subset's queries asking, in
 * bySubset.<subset>.retrieval and .nluContribution.
 */
export const retrieval = defineMetric({
  id: 'retrieval',
  summary: 'Recall@1/5/10, median rank, MRR per language + macro mean for t2i, i2t, t2t (cross-lingual matrix), q2i',
  primaryKey: 'retrieval.t2i.mean.R@10',
  greaterIsBetter: true,
  headlines: (['t2i', 'i2t', 't2t', 'q2i'] as const).map((t) => ({
    label: `${t} R@10`,
    key: `retrieval.${t}.mean.R@10`,
  })),
  configSchema: z.object({
    tasks: z
      .array(z.enum(RETRIEVAL_TASKS as [RetrievalTask, ...RetrievalTask[]]))
      .min(1)
      .default(['t2i', 'i2t', 't2t']),
    t2tFrom: z.enum(['query', 'caption']).default('query').describe('which rows ask in t2t: NLU queries or captions'),
    crossLingual: z.boolean().default(true).describe('also write t2tCross[queryLang][chunkLang]'),
    engine: z.enum(['tf', 'js']).default('tf').describe('similarity: matmul on the tfjs backend, or plain loops'),
    maxBlockElements: z
      .number()
      .int()
      .positive()
      .default(1 << 22)
      .describe('query rows × items scored per block'),
  }),
  create: (cfg) => ({
    evaluate(inputs): Metrics {
      if (!inputs.embeddings) return {};
      const r = retrievalMetrics(inputs.embeddings, cfg, inputs.queriesWithoutNlu);
      const out: Metrics = {};
      if (Object.keys(r.retrieval).length) out.retrieval = r.retrieval;
      if (r.t2tCross) out.t2tCross = r.t2tCross;
      if (r.nluContribution) out.nluContribution = r.nluContribution;
      const bySubset: NonNullable<Metrics['bySubset']> = {};
      for (const s of querySubsets(inputs)) {
        const sub = subsetRetrievalMetrics(inputs, s, cfg);
        if (sub) bySubset[s] = sub;
      }
      if (Object.keys(bySubset).length) out.bySubset = bySubset;
      return out;
    },
  }),
});
