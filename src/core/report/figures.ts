import type { Metrics, RunRecord } from '../run/record';

/** A plotly figure spec (what Plotly.newPlot and the Jupyter plotly MIME type take). */
export interface Figure {
  id: string;
  title: string;
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

export const RUN_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const DASHES = ['solid', 'dash', 'dot', 'dashdot', 'longdash', 'longdashdot'];
const KS = ['R@1', 'R@5', 'R@10'] as const;
export const TASK_TITLES: Record<string, string> = { t2i: 'text → image', i2t: 'image → text', t2t: 'text → text', q2i: 'query → image' };
export const NLU_TITLES: Record<string, string> = { intentAccuracy: 'intent accuracy', slotF1: 'slot F1', exactMatch: 'exact match' };

const baseLayout = (title: string, extra: Record<string, unknown> = {}) => ({
  title: { text: title },
  margin: { l: 60, r: 20, t: 50, b: 50 },
  height: 360,
  legend: { orientation: 'h', y: -0.2 },
  ...extra,
});

type Scores = { 'R@1': number; 'R@5': number; 'R@10': number; medianRank: number; mrr: number };
/** The retrieval tasks of a metrics object, indexable by task name. */
export const retrievalOf = (m: Metrics) => (m.retrieval ?? {}) as Record<string, Record<string, Scores> | undefined>;
/** The NLU metrics of a metrics object, indexable by metric name. */
export const nluOf = (m: Metrics) => (m.nlu ?? {}) as Record<string, Record<string, number> | undefined>;

/** Languages in a by-language record: sorted, `mean` last. */
export function languagesOf(byLang: Record<string, unknown> | undefined): string[] {
  if (!byLang) return [];
  const langs = Object.keys(byLang).filter((k) => k !== 'mean').sort();
  return 'mean' in byLang ? [...langs, 'mean'] : langs;
}

/** Stages in the order they ran, across the given runs. */
export function stageNames(runs: RunRecord[]): string[] {
  const names: string[] = [];
  for (const r of runs) for (const row of r.history) if (!names.includes(row.stage)) names.push(row.stage);
  return names;
}

/** One figure per stage: every logged loss term against the global step; one colour per run. */
export function lossFigures(runs: RunRecord[]): Figure[] {
  const many = runs.length > 1;
  return stageNames(runs).map((stage) => {
    const data: Record<string, unknown>[] = [];
    runs.forEach((r, ri) => {
      const rows = r.history.filter((h) => h.stage === stage);
      const terms = [...new Set(rows.flatMap((h) => Object.keys(h.losses)))];
      terms.forEach((term, ti) => {
        const pts = rows.filter((h) => Number.isFinite(h.losses[term]));
        data.push({
          type: 'scatter',
          mode: 'lines',
          name: many ? `${r.runId} · ${term}` : term,
          x: pts.map((h) => h.globalStep),
          y: pts.map((h) => h.losses[term]),
          line: many ? { color: RUN_COLORS[ri % RUN_COLORS.length], dash: DASHES[ti % DASHES.length] } : undefined,
        });
      });
    });
    return {
      id: `loss-${stage}`,
      title: `Loss — stage ${stage}`,
      data,
      layout: baseLayout(`Loss — stage ${stage}`, { xaxis: { title: { text: 'global step' } }, yaxis: { title: { text: 'loss' } } }),
    };
  });
}

/** Per-language bar charts for each retrieval task: R@1/5/10 for one run, R@10 per run when comparing. */
export function retrievalFigures(runs: RunRecord[]): Figure[] {
  const tasks = [...new Set(runs.flatMap((r) => Object.keys(r.metrics.final.retrieval ?? {})))];
  return tasks.map((task) => {
    const langs = [...new Set(runs.flatMap((r) => languagesOf(retrievalOf(r.metrics.final)[task])))];
    const data: Record<string, unknown>[] =
      runs.length === 1
        ? KS.map((k) => ({
            type: 'bar',
            name: k,
            x: langs,
            y: langs.map((l) => retrievalOf(runs[0]!.metrics.final)[task]?.[l]?.[k] ?? null),
          }))
        : runs.map((r, ri) => ({
            type: 'bar',
            name: r.runId,
            marker: { color: RUN_COLORS[ri % RUN_COLORS.length] },
            x: langs,
            y: langs.map((l) => retrievalOf(r.metrics.final)[task]?.[l]?.['R@10'] ?? null),
          }));
    // reference lines: R@10 of each baseline (pixel-knn, chance) of the first run's test split, per language
    for (const [key, b] of Object.entries(baselinesOf(runs[0]!.metrics.final))) {
      const byLang = b[task];
      if (!byLang) continue;
      data.push({
        type: 'scatter', mode: 'lines+markers', name: `${baselineName(key)} R@10`, x: langs, y: langs.map((l) => byLang[l]?.['R@10'] ?? null),
        line: { dash: key === 'chance' ? 'dot' : 'dash', color: key === 'chance' ? '#7f7f7f' : '#000000', width: 1.5 }, marker: { size: 4 },
      });
    }
    const title = `${TASK_TITLES[task] ?? task} — ${runs.length === 1 ? 'Recall@k' : 'Recall@10'} per language`;
    return { id: `retrieval-${task}`, title, data, layout: baseLayout(title, { barmode: 'group', yaxis: { range: [0, 1] } }) };
  });
}

/** NLU metrics per language: one figure, bars per metric (one run) or per run (several). */
export function nluFigures(runs: RunRecord[]): Figure[] {
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics.final.nlu ?? {})))].filter((m) => m in NLU_TITLES);
  if (metrics.length === 0) return [];
  if (runs.length === 1) {
    const nlu = nluOf(runs[0]!.metrics.final);
    const langs = [...new Set(metrics.flatMap((m) => languagesOf(nlu[m])))];
    const data = metrics.map((m) => ({ type: 'bar', name: NLU_TITLES[m], x: langs, y: langs.map((l) => nlu[m]?.[l] ?? null) }));
    return [{ id: 'nlu', title: 'NLU per language', data, layout: baseLayout('NLU per language', { barmode: 'group', yaxis: { range: [0, 1] } }) }];
  }
  return metrics.map((m) => {
    const langs = [...new Set(runs.flatMap((r) => languagesOf(nluOf(r.metrics.final)[m])))];
    const data = runs.map((r, ri) => ({
      type: 'bar',
      name: r.runId,
      marker: { color: RUN_COLORS[ri % RUN_COLORS.length] },
      x: langs,
      y: langs.map((l) => nluOf(r.metrics.final)[m]?.[l] ?? null),
    }));
    const title = `${NLU_TITLES[m]} per language`;
    return { id: `nlu-${m}`, title, data, layout: baseLayout(title, { barmode: 'group', yaxis: { range: [0, 1] } }) };
  });
}

/** metrics.baselines: per baseline key (camelCase plugin id), retrieval scores by task and language. */
export const baselinesOf = (m: Metrics) => (m.baselines ?? {}) as Record<string, Record<string, Record<string, Scores> | undefined>>;
/** 'pixelKnn' → 'pixel-knn': a baseline's plugin id from its metrics key. */
export const baselineName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The headline cells of each baseline of a metrics object (retrieval columns only), keyed by plugin id. */
export function baselineHeadlines(m: Metrics): [string, Record<string, number | undefined>][] {
  return Object.entries(baselinesOf(m)).map(([key, b]) => {
    const cells = Object.fromEntries(Object.keys(headline(m)).map((k) => [k, undefined])) as Record<string, number | undefined>;
    for (const task of ['t2i', 'i2t', 't2t']) cells[`${task} R@10`] = b[task]?.mean?.['R@10'];
    return [baselineName(key), cells];
  });
}

/** Mean R@10 per task and mean intent accuracy of one metrics object, as table cells. */
export function headline(m: Metrics): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const task of ['t2i', 'i2t', 't2t']) out[`${task} R@10`] = retrievalOf(m)[task]?.mean?.['R@10'];
  out['intent acc'] = m.nlu?.intentAccuracy?.mean;
  out['slot F1'] = m.nlu?.slotF1?.mean;
  return out;
}

/** Intent confusion, if the evaluation recorded one: `{ labels, matrix[true][pred] }`. */
export function intentConfusion(m: Metrics): { labels: string[]; matrix: number[][] } | undefined {
  return m.intentConfusion;
}

export function confusionFigure(m: Metrics): Figure | undefined {
  const c = intentConfusion(m);
  if (!c) return undefined;
  const title = 'Intent confusion (rows: true, columns: predicted)';
  return {
    id: 'intent-confusion',
    title,
    data: [{ type: 'heatmap', x: c.labels, y: c.labels, z: c.matrix, colorscale: 'Blues', reversescale: true }],
    layout: baseLayout(title, { yaxis: { autorange: 'reversed' }, height: 380 }),
  };
}
