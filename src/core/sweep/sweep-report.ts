import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../fs-atomic';
import { RUN_COLORS, type Figure } from '../report/figures';
import { escapeHtml, plotlyJs, scriptJson } from '../report/render';
import { metricAt } from '../eval/metric';
import type { HeadlineMetric } from '../eval/headline';
import { finishedMetrics, type Metrics } from '../run/record';
import type { SweepSpec, Trial } from './sweep';

export interface PointSummary {
  point: Record<string, unknown>;
  label: string;
  seeds: number[];
  /** By headline label (the metric plugins' headlines, src/core/eval/headline.ts). */
  mean: Record<string, number | undefined>;
  std: Record<string, number | undefined>;
  pareto: boolean; // on the T2I-vs-T2T Pareto front
}

const meanStd = (xs: number[]) => {
  if (xs.length === 0) return [undefined, undefined] as const;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : 0;
  return [m, Math.sqrt(v)] as const;
};

/** Groups finished trials by point; mean ± sample std over seeds of each headline; marks the T2I/T2T Pareto front. */
export function summarisePoints(trials: Trial[], runsDir: string, heads: readonly HeadlineMetric[]): PointSummary[] {
  const byPoint = new Map<string, { point: Record<string, unknown>; seeds: number[]; metrics: Metrics[] }>();
  for (const t of trials) {
    const m = finishedMetrics(join(runsDir, t.runId));
    if (!m) continue;
    const key = JSON.stringify(t.point);
    const e = byPoint.get(key) ?? { point: t.point, seeds: [], metrics: [] };
    e.seeds.push(t.seed);
    e.metrics.push(m.final);
    byPoint.set(key, e);
  }
  const out: PointSummary[] = [...byPoint.values()].map((e) => {
    const mean: PointSummary['mean'] = {};
    const std: PointSummary['std'] = {};
    for (const h of heads) {
      const xs = e.metrics.map((m) => metricAt(m, h.key)).filter((x): x is number => typeof x === 'number');
      [mean[h.label], std[h.label]] = meanStd(xs);
    }
    const label =
      Object.entries(e.point)
        .map(([p, v]) => `${p.split('.').pop()}=${JSON.stringify(v)}`)
        .join(', ') || 'base';
    return { point: e.point, label, seeds: e.seeds, mean, std, pareto: false };
  });
  for (const p of out) {
    const [x, y] = [p.mean['t2i R@10'], p.mean['t2t R@10']];
    if (x === undefined || y === undefined) continue;
    p.pareto = !out.some((q) => {
      const [qx, qy] = [q.mean['t2i R@10'], q.mean['t2t R@10']];
      return q !== p && qx !== undefined && qy !== undefined && qx >= x && qy >= y && (qx > x || qy > y);
    });
  }
  return out;
}

const numeric = (vals: unknown[]) => vals.every((v) => typeof v === 'number');

/** Line plots (one swept parameter) or heatmaps (two), per headline metric that any point has; and the Pareto scatter. */
export function sweepFigures(spec: SweepSpec, points: PointSummary[]): Figure[] {
  const params = Object.keys(spec.params);
  const names = [...new Set(points.flatMap((p) => Object.keys(p.mean).filter((k) => p.mean[k] !== undefined)))];
  const figs: Figure[] = [];
  const short = (p: string) => p.split('.').pop()!;
  if (params.length === 2) {
    const [px, py] = params as [string, string];
    const xs = [...new Set(points.map((p) => p.point[px]))].sort((a, b) => Number(a) - Number(b));
    const ys = [...new Set(points.map((p) => p.point[py]))].sort((a, b) => Number(a) - Number(b));
    for (const n of names) {
      const z = ys.map((y) =>
        xs.map((x) => points.find((p) => p.point[px] === x && p.point[py] === y)?.mean[n] ?? null),
      );
      const text = ys.map((y) =>
        xs.map((x) => {
          const p = points.find((q) => q.point[px] === x && q.point[py] === y);
          return p?.mean[n] === undefined ? '' : `${p.mean[n]!.toFixed(3)} ± ${p.std[n]!.toFixed(3)}`;
        }),
      );
      const title = `${n} over ${short(px)} × ${short(py)} (mean over seeds)`;
      figs.push({
        id: `heat-${n.replace(/\W+/g, '-')}`,
        title,
        data: [
          {
            type: 'heatmap',
            x: xs.map(String),
            y: ys.map(String),
            z,
            text,
            texttemplate: '%{text}',
            colorscale: 'Viridis',
          },
        ],
        layout: {
          title: { text: title },
          xaxis: { title: { text: short(px) }, type: 'category' },
          yaxis: { title: { text: short(py) }, type: 'category' },
          height: 380,
        },
      });
    }
  } else {
    for (const p of params) {
      const vals = [...new Set(points.map((q) => q.point[p]))];
      const sorted = numeric(vals) ? (vals as number[]).sort((a, b) => a - b) : vals;
      const data = names.map((n, i) => {
        const at = sorted.map((v) => {
          const sel = points.filter((q) => q.point[p] === v && q.mean[n] !== undefined);
          return meanStd(sel.map((q) => q.mean[n]!));
        });
        const sd = sorted.map((v) => {
          const sel = points.filter((q) => q.point[p] === v && q.std[n] !== undefined);
          return sel.length ? Math.max(...sel.map((q) => q.std[n]!)) : null;
        });
        return {
          type: 'scatter',
          mode: 'lines+markers',
          name: n,
          x: numeric(vals) ? sorted : sorted.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))), // objects: their JSON
          y: at.map((a) => a[0] ?? null),
          error_y: { type: 'data', array: sd, visible: true },
          line: { color: RUN_COLORS[i] },
        };
      });
      const title = `Metrics vs ${short(p)} (mean ± std over seeds)`;
      figs.push({
        id: `line-${short(p)}`,
        title,
        data,
        layout: {
          title: { text: title },
          xaxis: { title: { text: short(p) }, type: numeric(vals) ? 'log' : 'category' },
          yaxis: { range: [0, 1] },
          height: 380,
        },
      });
    }
  }
  const withXY = points.filter((p) => p.mean['t2i R@10'] !== undefined && p.mean['t2t R@10'] !== undefined);
  const front = withXY.filter((p) => p.pareto).sort((a, b) => a.mean['t2i R@10']! - b.mean['t2i R@10']!);
  figs.push({
    id: 'pareto',
    title: 'Pareto front: T2I R@10 vs T2T R@10',
    data: [
      {
        type: 'scatter',
        mode: 'markers',
        name: 'points',
        x: withXY.map((p) => p.mean['t2i R@10']),
        y: withXY.map((p) => p.mean['t2t R@10']),
        text: withXY.map((p) => p.label),
        error_x: { type: 'data', array: withXY.map((p) => p.std['t2i R@10']), visible: true },
        error_y: { type: 'data', array: withXY.map((p) => p.std['t2t R@10']), visible: true },
      },
      {
        type: 'scatter',
        mode: 'lines+markers',
        name: 'Pareto front',
        x: front.map((p) => p.mean['t2i R@10']),
        y: front.map((p) => p.mean['t2t R@10']),
        text: front.map((p) => p.label),
        line: { color: RUN_COLORS[1] },
      },
    ],
    layout: {
      title: { text: 'Pareto front: T2I R@10 vs T2T R@10' },
      xaxis: { title: { text: 'T2I R@10' } },
      yaxis: { title: { text: 'T2T R@10' } },
      height: 420,
    },
  });
  return figs;
}

export interface SweepReport {
  sweep: SweepSpec;
  generatedAt: string;
  points: PointSummary[];
  figures: Figure[];
  /** Every finished trial's row (from the run store when given, else from metrics.json). */
  table: { columns: string[]; rows: (string | number | null)[][] };
}

const SORT_JS = `for (const th of document.querySelectorAll('table.sortable th')) th.addEventListener('click', () => {
  const table = th.closest('table'); const i = [...th.parentNode.children].indexOf(th);
  const dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir === 1 ? 'asc' : 'desc';
  const rows = [...table.tBodies[0].rows];
  const key = (r) => { const t = r.cells[i].textContent; const n = parseFloat(t); return isNaN(n) ? t : n; };
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * dir);
  for (const r of rows) table.tBodies[0].appendChild(r); });`;

export function renderSweepHtml(r: SweepReport): string {
  const head = r.table.columns.map((c) => `<th title="click to sort">${escapeHtml(c)}</th>`).join('');
  const body = r.table.rows
    .map(
      (row) =>
        `<tr>${row.map((c) => `<td>${escapeHtml(c === null ? '—' : typeof c === 'number' ? String(Number(c.toFixed(4))) : String(c))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sweep ${escapeHtml(r.sweep.id)}</title>
<style>body{font:14px system-ui,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px}th{cursor:pointer;background:#f4f4f4}.chart{min-height:380px}</style>
<script>${plotlyJs()}</script></head><body>
<h1>Sweep ${escapeHtml(r.sweep.id)}</h1><p>${escapeHtml(r.sweep.question)}</p>
<p>Base <code>${escapeHtml(r.sweep.base)}</code>, ${r.sweep.method} over ${Object.keys(r.sweep.params)
    .map((p) => `<code>${escapeHtml(p)}</code>`)
    .join(', ')}, seeds ${r.sweep.seeds.join(', ')}. Generated ${escapeHtml(r.generatedAt)}.</p>
${r.figures.map((f) => `<div class="chart" id="fig-${escapeHtml(f.id)}"></div>`).join('\n')}
<h2>All trials</h2><table class="sortable"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>
<script id="unir-report" type="application/json">${scriptJson({ figures: r.figures })}</script>
<script>const rep = JSON.parse(document.getElementById('unir-report').textContent);
for (const f of rep.figures) Plotly.newPlot('fig-' + f.id, f.data, f.layout, { responsive: true, displaylogo: false });
${SORT_JS}</script></body></html>`;
}

export function writeSweepReport(
  spec: SweepSpec,
  trials: Trial[],
  runsDir: string,
  outDir: string,
  table: SweepReport['table'],
  heads: readonly HeadlineMetric[],
): SweepReport & { html: string } {
  const points = summarisePoints(trials, resolve(runsDir), heads);
  const report: SweepReport = {
    sweep: spec,
    generatedAt: new Date().toISOString(),
    points,
    figures: sweepFigures(spec, points),
    table,
  };
  const html = join(outDir, 'sweep.html');
  writeFileAtomic(join(outDir, 'sweep.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileAtomic(html, renderSweepHtml(report));
  return { ...report, html };
}
