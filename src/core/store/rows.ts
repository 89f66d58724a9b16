import type { HistoryRow } from '../run/history';

/** One run as the store records it (runs/<id>/run.json + config.json + metrics.json + history.jsonl). */
export interface StoreRun {
  runId: string;
  experiment: string;
  status: string;
  backend: string;
  threads?: number | null;
  seed?: number | null;
  startedAt?: string | null; // ISO 8601
  finishedAt?: string | null;
  /** run.json durationSec: time spent running, summed over resumes. */
  durationSec?: number | null;
  gitSha?: string | null;
  config?: unknown;
  /** The stages and final metrics of metrics.json. */
  metrics?: { stages: { name: string; metrics: Record<string, unknown> }[]; final: Record<string, unknown> };
  history?: readonly HistoryRow[];
}

export type MetricRow = [stage: string, task: string, language: string, metric: string, value: number];
export type HistoryDbRow = [stage: string, step: number, globalStep: number, name: string, value: number];
export type ConfigRow = [path: string, value: string];

/** The stage name final (test) metrics are stored under. */
export const FINAL_STAGE = 'final';

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The metrics object in long form: retrieval.<task>.<lang>.<key> → (task, lang, key); nlu.<metric>.<lang>
 * → ('nlu', lang, metric); t2tCross.<x>.<y>.<key> → ('t2t-cross', 'x>y', key); nluContribution.<task>
 * .withoutNlu / .delta → ('<task>-no-nlu' / '<task>-nlu-delta', lang, key); baselines.<b>.<task> →
 * ('<task>@<b>', lang, key), e.g. ('t2i@pixelKnn', 'mean', 'R@10'); bySubset.<s>.{nlu, retrieval,
 * nluContribution} → the task names above + '#<s>', e.g. ('nlu#held-out', 'mean', 'intentAccuracy'),
 * ('t2t#held-out', 'de', 'R@10'), ('t2t-nlu-delta#held-out', 'mean', 'R@10'). Other keys are not stored.
 */
export function metricRows(stage: string, m: Record<string, unknown>): MetricRow[] {
  const rows: MetricRow[] = [];
  const scores = (task: string, lang: string, s: unknown) => {
    if (isObj(s)) for (const [k, v] of Object.entries(s)) if (num(v)) rows.push([stage, task, lang, k, v]);
  };
  const byLang = (task: string, x: unknown) => {
    if (isObj(x)) for (const [lang, s] of Object.entries(x)) scores(task, lang, s);
  };
  if (isObj(m.retrieval)) for (const [task, x] of Object.entries(m.retrieval)) byLang(task, x);
  if (isObj(m.nlu)) {
    for (const [metric, x] of Object.entries(m.nlu)) {
      if (isObj(x)) for (const [lang, v] of Object.entries(x)) if (num(v)) rows.push([stage, 'nlu', lang, metric, v]);
    }
  }
  if (isObj(m.t2tCross)) {
    for (const [x, row] of Object.entries(m.t2tCross))
      if (isObj(row)) for (const [y, s] of Object.entries(row)) scores('t2t-cross', `${x}>${y}`, s);
  }
  if (isObj(m.nluContribution)) {
    for (const [task, c] of Object.entries(m.nluContribution)) {
      if (!isObj(c)) continue;
      byLang(`${task}-no-nlu`, c.withoutNlu);
      byLang(`${task}-nlu-delta`, c.delta);
    }
  }
  if (isObj(m.baselines)) {
    for (const [b, tasks] of Object.entries(m.baselines))
      if (isObj(tasks)) for (const [task, x] of Object.entries(tasks)) byLang(`${task}@${b}`, x);
  }
  if (isObj(m.bySubset)) {
    for (const [s, sub] of Object.entries(m.bySubset)) {
      if (!isObj(sub)) continue;
      const { nlu, retrieval, nluContribution } = sub;
      for (const [st, task, lang, metric, v] of metricRows(stage, { nlu, retrieval, nluContribution }))
        rows.push([st, `${task}#${s}`, lang, metric, v]);
    }
  }
  return rows;
}

/** Every stage's metrics, then the final ones under stage 'final'. */
export function allMetricRows(metrics: StoreRun['metrics']): MetricRow[] {
  if (!metrics) return [];
  return [...metrics.stages.flatMap((s) => metricRows(s.name, s.metrics)), ...metricRows(FINAL_STAGE, metrics.final)];
}

/** history.jsonl in long form: each loss term, lr and samplesPerSec of a step is one row. */
export function historyRows(history: readonly HistoryRow[] = []): HistoryDbRow[] {
  const rows: HistoryDbRow[] = [];
  for (const h of history) {
    for (const [name, v] of Object.entries(h.losses)) if (num(v)) rows.push([h.stage, h.step, h.globalStep, name, v]);
    if (num(h.lr)) rows.push([h.stage, h.step, h.globalStep, 'lr', h.lr]);
    if (num(h.samplesPerSec)) rows.push([h.stage, h.step, h.globalStep, 'samplesPerSec', h.samplesPerSec]);
  }
  return rows;
}

/** A config's leaves by dotted path (`model.fusion.id`, `stages[1].weight`), values as JSON text. */
export function configRows(config: unknown): ConfigRow[] {
  const rows: ConfigRow[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v) && v.length) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (isObj(v) && Object.keys(v).length)
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    else if (path) rows.push([path, JSON.stringify(v ?? null)]);
  };
  walk(config, '');
  return rows;
}
