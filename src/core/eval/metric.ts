import type { z } from 'zod';
import { pluginDefiner, type Plugin } from '../registry/plugin';
import type { EmbeddingSet } from './embeddings';
import type { Metrics } from './metrics-schema';
import type { NluExample } from './nlu';

/** What a metric sees of one evaluated split: plain arrays, no tensors, no model. */
export interface EvalInputs {
  split: string;
  /** Every image, text and query row of the split, embedded (queries through the NLU path when the model has one). */
  embeddings?: EmbeddingSet;
  /** The query rows again (same ids, same order), embedded WITHOUT the NLU path: for the NLU contribution. */
  queriesWithoutNlu?: EmbeddingSet;
  /** Decoded NLU predictions of the query rows. */
  nlu?: readonly NluExample[];
  intentLabels?: readonly string[];
}

/** A created metric: turns inputs into a part of the `metrics` object of metrics.json. */
export interface MetricEvaluator {
  evaluate(inputs: EvalInputs): Metrics;
}

export interface MetricContext {}

/**
 * A metric plugin: id, summary, config schema (all defaults), and `primaryKey`: the dotted path of its
 * headline number inside `metrics` (e.g. 'retrieval.t2i.mean.R@10'), with `greaterIsBetter` for it.
 * `headlines` (default: the primaryKey) are the numbers reports, sweep tables, `unir runs` and results show first.
 */
export interface MetricPlugin<S extends z.ZodType = z.ZodType>
  extends Plugin<'metric', S, MetricContext, MetricEvaluator> {
  readonly primaryKey: string;
  readonly greaterIsBetter: boolean;
  readonly headlines?: readonly { label: string; key: string }[];
}

const base = pluginDefiner('metric')<MetricContext, MetricEvaluator>();

export function defineMetric<const Id extends string, S extends z.ZodType>(
  p: Omit<MetricPlugin<S>, 'kind' | 'id'> & { id: Id },
): MetricPlugin<S> & { readonly id: Id } {
  const { primaryKey, greaterIsBetter, headlines, ...rest } = p;
  return Object.freeze({
    ...base(rest),
    primaryKey,
    greaterIsBetter,
    ...(headlines ? { headlines } : {}),
  }) as MetricPlugin<S> & { readonly id: Id };
}

/** The number at a dotted key such as 'retrieval.t2i.mean.R@10' (segments never contain dots), if any. */
export function metricAt(m: Metrics, key: string): number | undefined {
  let v: unknown = m;
  for (const seg of key.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  return typeof v === 'number' ? v : undefined;
}

/** Merges metric outputs: objects merge key by key, later values win on leaves. */
export function mergeMetrics(...parts: Metrics[]): Metrics {
  const merge = (a: unknown, b: unknown): unknown => {
    if (!a || typeof a !== 'object' || Array.isArray(a) || !b || typeof b !== 'object' || Array.isArray(b)) return b;
    const out: Record<string, unknown> = { ...(a as object) };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k], v) : v;
    return out;
  };
  return parts.reduce((acc, p) => merge(acc, p) as Metrics, {} as Metrics);
}
