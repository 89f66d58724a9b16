import { z } from 'zod';
import { defineMetric } from '../../core/eval/metric';
import type { Metrics } from '../../core/eval/metrics-schema';
import { nluMetrics } from '../../core/eval/nlu';
import { querySubsets, subsetNluMetrics } from '../../core/eval/subsets';

/**
 * Intent accuracy, slot F1 (seqeval: micro F1 over exact BIO spans, default mode — an I- without B- starts a
 * span) and exact match (intent and every span right), per language + macro mean; and the intent confusion.
 * Queries with a `subset` also get the three on that subset's queries alone, in bySubset.<subset>.nlu.
 */
export const nlu = defineMetric({
  id: 'nlu',
  summary: 'Intent accuracy, seqeval slot F1 over exact BIO spans, exact match; per language + macro mean',
  primaryKey: 'nlu.exactMatch.mean',
  greaterIsBetter: true,
  headlines: [
    { label: 'intent acc', key: 'nlu.intentAccuracy.mean' },
    { label: 'slot F1', key: 'nlu.slotF1.mean' },
  ],
  citation:
    '@misc{seqeval, title={{seqeval}: A Python framework for sequence labeling evaluation}, author={Hiroki Nakayama}, year={2018}, url={https://github.com/chakki-works/seqeval}}',
  configSchema: z.object({
    confusion: z.boolean().default(true).describe('also write intentConfusion { labels, matrix[true][pred] }'),
  }),
  create: (cfg) => ({
    evaluate(inputs): Metrics {
      if (!inputs.nlu?.length) return {};
      const r = nluMetrics(inputs.nlu, inputs.intentLabels);
      const out: Metrics = cfg.confusion ? { nlu: r.nlu, intentConfusion: r.intentConfusion } : { nlu: r.nlu };
      const bySubset: NonNullable<Metrics['bySubset']> = {};
      for (const s of querySubsets(inputs)) {
        const scores = subsetNluMetrics(inputs, s);
        if (scores) bySubset[s] = { nlu: scores };
      }
      return Object.keys(bySubset).length ? { ...out, bySubset } : out;
    },
  }),
});
