import type { EvalInputs } from './metric';
import { nluMetrics, type NluMetrics } from './nlu';
import { retrievalMetrics, type RetrievalOptions, type RetrievalResult } from './retrieval';

/**
 * The evaluation subsets of a split's queries (the `subset` of query records: the embeddings' subset column and
 * the NLU examples), sorted; [] when no query has one. metrics.bySubset.<subset> is computed on each.
 */
export function querySubsets(inputs: EvalInputs): string[] {
  const names = new Set<string>();
  const e = inputs.embeddings;
  e?.subset?.forEach((s, i) => {
    if (s !== null && e.kind[i] === 'query') names.add(s);
  });
  for (const ex of inputs.nlu ?? []) if (ex.subset !== undefined) names.add(ex.subset);
  return [...names].sort();
}

/** nluMetrics over the NLU examples of one subset; undefined when it has none. */
export function subsetNluMetrics(inputs: EvalInputs, subset: string): NluMetrics['nlu'] | undefined {
  const ex = (inputs.nlu ?? []).filter((e) => e.subset === subset);
  return ex.length ? nluMetrics(ex, inputs.intentLabels).nlu : undefined;
}

/**
 * retrievalMetrics with only the query rows of one subset asking: the query-side tasks of `opts.tasks` (t2t when
 * t2tFrom is 'query', q2i) and their NLU contribution; no t2tCross. Undefined when nothing was scored.
 */
export function subsetRetrievalMetrics(
  inputs: EvalInputs,
  subset: string,
  opts: RetrievalOptions,
): Pick<RetrievalResult, 'retrieval' | 'nluContribution'> | undefined {
  const tasks = (opts.tasks ?? ['t2i', 'i2t', 't2t']).filter(
    (t) => t === 'q2i' || (t === 't2t' && (opts.t2tFrom ?? 'query') === 'query'),
  );
  if (!inputs.embeddings || tasks.length === 0) return undefined;
  const r = retrievalMetrics(
    inputs.embeddings,
    { ...opts, tasks, crossLingual: false, querySubset: subset },
    inputs.queriesWithoutNlu,
  );
  if (!Object.keys(r.retrieval).length) return undefined;
  return { retrieval: r.retrieval, ...(r.nluContribution ? { nluContribution: r.nluContribution } : {}) };
}
