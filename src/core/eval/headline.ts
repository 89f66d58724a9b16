import { metricAt, type MetricPlugin } from './metric';
import type { Metrics } from './metrics-schema';

/** One headline number of the metric plugins: what reports, sweep tables, `unir runs` and results show first. */
export interface HeadlineMetric {
  /** Column title, e.g. 't2i R@10'. */
  label: string;
  /** Dotted path in a metrics object, e.g. 'retrieval.t2i.mean.R@10'. */
  key: string;
  /** Where the run store keeps it (src/core/store/rows.ts): task, language, metric. */
  task: string;
  language: string;
  metric: string;
  greaterIsBetter: boolean;
  /** The metric plugin that declares it. */
  plugin: string;
}

/**
 * The store coordinates of a metrics key: retrieval.<task>.<lang>.<metric> → (task, lang, metric);
 * nlu.<metric>.<lang> → ('nlu', lang, metric); other keys keep their first segment as the task.
 */
export function storeCoords(key: string): { task: string; language: string; metric: string } {
  const [head, a = '', b = '', c = ''] = key.split('.');
  if (head === 'retrieval') return { task: a, language: b, metric: c };
  if (head === 'nlu') return { task: 'nlu', language: b, metric: a };
  return { task: head ?? '', language: b, metric: a };
}

/** Every headline of the given metric plugins, in their order: each plugin's `headlines`, else its primaryKey. */
export function headlineMetrics(plugins: readonly MetricPlugin[]): HeadlineMetric[] {
  return plugins.flatMap((p) =>
    (p.headlines ?? [{ label: p.primaryKey, key: p.primaryKey }]).map((h) => ({
      ...h,
      ...storeCoords(h.key),
      greaterIsBetter: p.greaterIsBetter,
      plugin: p.id,
    })),
  );
}

/** The headline cells of a metrics object: label → value (undefined where the run did not measure it). */
export function headlineValues(m: Metrics, headlines: readonly HeadlineMetric[]): Record<string, number | undefined> {
  return Object.fromEntries(headlines.map((h) => [h.label, metricAt(m, h.key)]));
}
