import { headlineValues, type HeadlineMetric } from '../eval/headline';
import type { Metrics, RunRecord } from '../run/record';

/** A plotly figure spec (what Plotly.newPlot and the Jupyter plotly MIME type take). */
export interface Figure {
  id: string;
  title: string;
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

export const RUN_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
/** Twenty distinguishable colours (d3's category20 reordered: dark shades first), one per series of a chart. */
export const SERIES_COLORS = [
  ...RUN_COLORS,
  '#bcbd22',
  '#7f7f7f',
  '#aec7e8',
  '#ff9896',
  '#98df8a',
  '#c5b0d5',
  '#ffbb78',
  '#c49c94',
  '#f7b6d2',
  '#9edae5',
  '#dbdb8d',
  '#393b79',
];
const DASHES = ['solid', 'dash', 'dot', 'dashdot', 'longdash', 'longdashdot'];
const KS = ['R@1', 'R@5', 'R@10'] as const;
export const TASK_TITLES: Record<string, string> = {
  t2i: 'text → image',
  i2t: 'image → text',
  t2t: 'text → text',
  q2i: 'query → image',
};
export const NLU_TITLES: Record<string, string> = {
  intentAccuracy: 'intent accuracy',
  slotF1: 'slot F1',
  exactMatch: 'exact match',
};

/** Title top left, legend to the right of the plot (never over an axis title), room for both. */
const baseLayout = (title: string, extra: Record<string, unknown> = {}) => ({
  title: { text: title, x: 0, xanchor: 'left' },
  margin: { l: 60, r: 20, t: 50, b: 50 },
  height: 360,
  legend: { orientation: 'v', x: 1.02, xanchor: 'left', y: 1, yanchor: 'top' },
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
  const langs = Object.keys(byLang)
    .filter((k) => k !== 'mean')
    .sort();
  return 'mean' in byLang ? [...langs, 'mean'] : langs;
}

/** Stages in the order they ran, across the given runs. */
export function stageNames(runs: RunRecord[]): string[] {
  const names: string[] = [];
  for (const r of runs) for (const row of r.history) if (!names.includes(row.stage)) names.push(row.stage);
  return names;
}

/**
 * Which panel of a loss chart a logged series goes to: the weighted total and the terms (`loss`, `ti`), the parts
 * of a term (`ti.aToB`), what the losses learn or measure on another scale (`ti.temperature`, `siglip.bias`,
 * `slot.slotAcc`), and the gradient norm.
 */
export function lossPanel(name: string): 0 | 1 | 2 | 3 {
  if (name === 'gradNorm') return 3;
  if (!name.includes('.')) return 0;
  return /\.(temperature|scale|bias|\w*acc\w*)$/i.test(name) ? 2 : 1;
}
const PANEL_TITLES = ['loss: total and terms', 'parts of the terms', 'temperature, scale, accuracy', 'gradient norm'];
const PANEL_WEIGHT = [2.4, 1, 1, 1];

/**
 * One figure per stage, one panel per kind of series sharing the step axis (lossPanel): the weighted total and each
 * term, their parts, what the losses learn or measure on another scale, and the gradient norm before clipping —
 * each on its own y axis. One colour per series (one per run when comparing, the terms then told apart by dash).
 */
export function lossFigures(runs: RunRecord[]): Figure[] {
  const many = runs.length > 1;
  return stageNames(runs).map((stage) => {
    const series: { panel: number; trace: Record<string, unknown> }[] = [];
    const colorOf = new Map<string, string>();
    runs.forEach((r, ri) => {
      const rows = r.history.filter((h) => h.stage === stage);
      const terms = [...new Set(rows.flatMap((h) => Object.keys(h.losses)))];
      terms.forEach((term, ti) => {
        const pts = rows.filter((h) => Number.isFinite(h.losses[term]));
        if (!colorOf.has(term)) colorOf.set(term, SERIES_COLORS[colorOf.size % SERIES_COLORS.length]!);
        series.push({
          panel: lossPanel(term),
          trace: {
            type: 'scatter',
            mode: 'lines',
            name: many ? `${r.runId} · ${term}` : term,
            x: pts.map((h) => h.globalStep),
            y: pts.map((h) => h.losses[term]),
            xaxis: 'x',
            line: many
              ? { color: RUN_COLORS[ri % RUN_COLORS.length], dash: DASHES[ti % DASHES.length], width: 1.5 }
              : { color: colorOf.get(term), width: 1.5 },
          },
        });
      });
    });
    // the panels in use, top to bottom, with heights by weight and a gap between them
    const used = [...new Set(series.map((s) => s.panel))].sort();
    const gap = 0.05;
    const total = used.reduce((a, p) => a + PANEL_WEIGHT[p]!, 0);
    let top = 1;
    const axes: Record<string, unknown> = {};
    const axisOf = new Map<number, string>();
    used.forEach((p, i) => {
      const h = (PANEL_WEIGHT[p]! / total) * (1 - gap * (used.length - 1));
      const name = i === 0 ? 'y' : `y${i + 1}`;
      axisOf.set(p, name);
      axes[i === 0 ? 'yaxis' : `yaxis${i + 1}`] = {
        domain: [Math.max(0, top - h), top],
        anchor: 'x',
        title: { text: PANEL_TITLES[p], font: { size: 11 } },
      };
      top -= h + gap;
    });
    const bottom = used.length ? axisOf.get(used[used.length - 1]!)! : 'y';
    axes.xaxis = { title: { text: 'global step' }, anchor: bottom };
    const data = series.map((s) => ({ ...s.trace, yaxis: axisOf.get(s.panel) }));
    const title = `Loss — ${stage}`;
    const height = 260 + 110 * used.length;
    return {
      id: `loss-${stage}`,
      title,
      data,
      layout: baseLayout(title, { ...axes, height, margin: { l: 70, r: 20, t: 50, b: 50 } }),
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
        type: 'scatter',
        mode: 'lines+markers',
        name: `${baselineName(key)} R@10`,
        x: langs,
        y: langs.map((l) => byLang[l]?.['R@10'] ?? null),
        line: { dash: key === 'chance' ? 'dot' : 'dash', color: key === 'chance' ? '#7f7f7f' : '#000000', width: 1.5 },
        marker: { size: 4 },
      });
    }
    const title = `${TASK_TITLES[task] ?? task} — ${runs.length === 1 ? 'Recall@k' : 'Recall@10'} per language`;
    return {
      id: `retrieval-${task}`,
      title,
      data,
      layout: baseLayout(title, { barmode: 'group', yaxis: { range: [0, 1] } }),
    };
  });
}

/** NLU metrics per language: one figure, bars per metric (one run) or per run (several). */
export function nluFigures(runs: RunRecord[]): Figure[] {
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics.final.nlu ?? {})))].filter(
    (m) => m in NLU_TITLES,
  );
  if (metrics.length === 0) return [];
  if (runs.length === 1) {
    const nlu = nluOf(runs[0]!.metrics.final);
    const langs = [...new Set(metrics.flatMap((m) => languagesOf(nlu[m])))];
    const data = metrics.map((m) => ({
      type: 'bar',
      name: NLU_TITLES[m],
      x: langs,
      y: langs.map((l) => nlu[m]?.[l] ?? null),
    }));
    return [
      {
        id: 'nlu',
        title: 'NLU per language',
        data,
        layout: baseLayout('NLU per language', { barmode: 'group', yaxis: { range: [0, 1] } }),
      },
    ];
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
export const baselinesOf = (m: Metrics) =>
  (m.baselines ?? {}) as Record<string, Record<string, Record<string, Scores> | undefined>>;
/** 'pixelKnn' → 'pixel-knn': a baseline's plugin id from its metrics key. */
export const baselineName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The headline cells of each baseline of a metrics object (the retrieval headlines only), keyed by plugin id. */
export function baselineHeadlines(
  m: Metrics,
  heads: readonly HeadlineMetric[],
): [string, Record<string, number | undefined>][] {
  return Object.keys(baselinesOf(m)).map((key) => {
    const asBaseline = heads.map((h) => ({
      ...h,
      key: h.key.startsWith('retrieval.') ? `baselines.${key}.${h.key.slice('retrieval.'.length)}` : '',
    }));
    return [baselineName(key), headlineValues(m, asBaseline)];
  });
}

/** The headline numbers of one metrics object (the metric plugins' headlines), as table cells. */
export function headline(m: Metrics, heads: readonly HeadlineMetric[]): Record<string, number | undefined> {
  return headlineValues(m, heads);
}

/** Intent confusion, if the evaluation recorded one: `{ labels, matrix[true][pred] }`. */
export function intentConfusion(m: Metrics): { labels: string[]; matrix: number[][] } | undefined {
  return m.intentConfusion;
}

export function confusionFigure(m: Metrics): Figure | undefined {
  const c = intentConfusion(m);
  if (!c) return undefined;
  const title = 'Intent confusion (rows: true, columns: predicted)';
  // labels in full: margins grow to fit them (automargin), the x labels slanted; the chart grows with the intents
  const longest = Math.max(0, ...c.labels.map((l) => l.length));
  return {
    id: 'intent-confusion',
    title,
    data: [
      {
        type: 'heatmap',
        x: c.labels,
        y: c.labels,
        z: c.matrix,
        colorscale: 'Blues',
        reversescale: true,
        colorbar: { title: { text: 'queries' } },
      },
    ],
    layout: baseLayout(title, {
      xaxis: { automargin: true, tickangle: -35, title: { text: 'predicted', standoff: 16 } },
      yaxis: { autorange: 'reversed', automargin: true, title: { text: 'true', standoff: 16 } },
      height: Math.max(380, 160 + 28 * c.labels.length + 6 * longest),
      margin: { l: 40 + 7 * longest, r: 20, t: 50, b: 40 + 6 * longest },
    }),
  };
}
