import { resolveExperiment } from '../config/experiment';
import { pluginsOfExperiment, type UsedPlugin } from '../config/plugins-used';
import { headlineMetrics, type HeadlineMetric } from '../eval/headline';
import { modelSpecParser } from '../model/spec';
import type { Registry } from '../registry';
import {
  baselineHeadlines,
  confusionFigure,
  headline,
  nluOf,
  retrievalOf,
  intentConfusion,
  languagesOf,
  lossFigures,
  nluFigures,
  retrievalFigures,
  TASK_TITLES,
  type Figure,
} from './figures';
import type { Metrics, RunRecord } from '../run/record';

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

/** Everything a report shows; report.json is exactly this, report.html and report.md render it. */
export interface ReportModel {
  kind: 'run' | 'compare';
  title: string;
  generatedAt: string;
  runs: { runId: string; dir: string; experiment: string; backend: string; seed: number }[];
  config?: unknown;
  plugins: { kind: string; id: string; summary: string; cited: boolean }[];
  /** BibTeX of the plugins used that carry a citation, one entry per plugin. */
  citations: { plugin: string; bibtex: string }[];
  environment: Table;
  figures: Figure[];
  tables: Table[];
}

/**
 * The plugins a run's config uses, as resolveExperiment lists them (kind, id, config); a config that no longer
 * resolves (an older schema) is read where the schema puts plugins, without its losses.
 */
export function usedPlugins(config: unknown, reg: Registry): UsedPlugin[] {
  try {
    return resolveExperiment(config, reg, { modelSpec: modelSpecParser }).plugins;
  } catch {
    return pluginsOfExperiment(config, undefined, reg);
  }
}

/** The report's plugin table and citations: every plugin the runs use, once, with its summary and BibTeX. */
export function pluginsUsed(configs: readonly unknown[], reg: Registry): Pick<ReportModel, 'plugins' | 'citations'> {
  const found = new Map<string, { kind: string; id: string; summary: string; citation?: string }>();
  for (const config of configs) {
    for (const u of usedPlugins(config, reg)) {
      if (!reg.has(u.kind, u.id))
        found.set(`${u.kind}/${u.id}`, {
          kind: u.kind,
          id: u.id,
          summary: '(not registered in this process: import its module with --plugin)',
        });
      else {
        const p = reg.get(u.kind, u.id);
        found.set(`${u.kind}/${u.id}`, { kind: p.kind, id: p.id, summary: p.summary, citation: p.citation });
      }
    }
  }
  const all = [...found.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  return {
    plugins: all.map(({ kind, id, summary, citation }) => ({ kind, id, summary, cited: !!citation })),
    citations: all.filter((p) => p.citation).map((p) => ({ plugin: `${p.kind} ${p.id}`, bibtex: p.citation!.trim() })),
  };
}

/** Headline columns that hold a number for at least one of the metrics objects. */
const measured = (heads: readonly HeadlineMetric[], ms: readonly Metrics[]) =>
  heads.filter((h) => ms.some((m) => headline(m, [h])[h.label] !== undefined));

const fmt = (x: unknown) => (typeof x === 'number' ? Number(x.toFixed(4)) : x === undefined ? null : String(x));

function envTable(runs: RunRecord[]): Table {
  const keys = ['backend', 'threads', 'node', 'tfjs', 'unir', 'gitSha', 'startedAt', 'durationSec', 'status'];
  const val = (r: RunRecord, k: string) => {
    const env = (r.run.env ?? {}) as Record<string, unknown>;
    return fmt(r.run[k] ?? env[k] ?? (k === 'backend' ? r.metrics.backend : undefined));
  };
  return {
    title: 'Environment',
    columns: ['', ...runs.map((r) => r.runId)],
    rows: keys.map((k) => [k, ...runs.map((r) => val(r, k))]),
  };
}

function stageTable(r: RunRecord, all: readonly HeadlineMetric[]): Table {
  const heads = measured(all, [...r.metrics.stages.map((s) => s.metrics), r.metrics.final]);
  return {
    title: `Stage to stage (validation) — ${r.runId}`,
    columns: ['stage', ...heads.map((h) => h.label)],
    rows: [
      ...r.metrics.stages.map((s) => [s.name, ...Object.values(headline(s.metrics, heads)).map(fmt)]),
      ['final (test)', ...Object.values(headline(r.metrics.final, heads)).map(fmt)],
      ...baselineHeadlines(r.metrics.final, heads).map(([id, cells]) => [
        `${id} (test, no training)`,
        ...Object.values(cells).map(fmt),
      ]),
    ],
  };
}

function perLanguageTables(r: RunRecord): Table[] {
  const tables: Table[] = [];
  for (const [task, byLang] of Object.entries(r.metrics.final.retrieval ?? {})) {
    if (!byLang) continue;
    tables.push({
      title: `${TASK_TITLES[task] ?? task} per language`,
      columns: ['language', 'R@1', 'R@5', 'R@10', 'median rank', 'MRR'],
      rows: languagesOf(byLang).map((l) => {
        const s = byLang[l]!;
        return [l, fmt(s['R@1']), fmt(s['R@5']), fmt(s['R@10']), fmt(s.medianRank), fmt(s.mrr)];
      }),
    });
  }
  const nlu = nluOf(r.metrics.final);
  if (nlu && Object.keys(nlu).length) {
    const ms = Object.keys(nlu);
    const langs = [...new Set(ms.flatMap((m) => languagesOf(nlu[m])))];
    tables.push({
      title: 'NLU per language',
      columns: ['language', ...ms],
      rows: langs.map((l) => [l, ...ms.map((m) => fmt(nlu[m]?.[l]))]),
    });
  }
  for (const [task, c] of Object.entries(r.metrics.final.nluContribution ?? {})) {
    if (!c) continue;
    tables.push({
      title: `NLU contribution — ${TASK_TITLES[task] ?? task}: R@10 with and without the NLU path, same queries`,
      columns: ['language', 'with NLU', 'without NLU', 'Δ R@10', 'Δ MRR'],
      rows: languagesOf(c.withNlu).map((l) => [
        l,
        fmt(c.withNlu[l]?.['R@10']),
        fmt(c.withoutNlu[l]?.['R@10']),
        fmt(c.delta[l]?.['R@10']),
        fmt(c.delta[l]?.mrr),
      ]),
    });
  }
  return tables;
}

function confusionSummary(r: RunRecord): Table | undefined {
  const c = intentConfusion(r.metrics.final);
  if (!c) return undefined;
  const pairs: [string, string, number][] = [];
  c.matrix.forEach((row, i) => row.forEach((n, j) => i !== j && n > 0 && pairs.push([c.labels[i]!, c.labels[j]!, n])));
  pairs.sort((a, b) => b[2] - a[2]);
  const total = c.matrix.flat().reduce((a, b) => a + b, 0);
  return {
    title: `NLU confusion summary — most frequent intent errors (of ${total} queries)`,
    columns: ['true intent', 'predicted', 'count'],
    rows: pairs.length ? pairs.slice(0, 10) : [['(no intent errors)', '', 0]],
  };
}

function deltaTable(runs: RunRecord[]): Table {
  const base = runs[0]!;
  const rows: Table['rows'] = [];
  const tasks = [...new Set(runs.flatMap((r) => Object.keys(r.metrics.final.retrieval ?? {})))];
  for (const task of tasks) {
    for (const l of languagesOf(retrievalOf(base.metrics.final)[task])) {
      const b = retrievalOf(base.metrics.final)[task]?.[l]?.['R@10'];
      rows.push([
        `${task} R@10`,
        l,
        fmt(b),
        ...runs.slice(1).map((r) => {
          const v = retrievalOf(r.metrics.final)[task]?.[l]?.['R@10'];
          return v === undefined || b === undefined ? null : fmt(v - b);
        }),
      ]);
    }
  }
  for (const [m, byLang] of Object.entries(base.metrics.final.nlu ?? {})) {
    for (const l of languagesOf(byLang)) {
      const b = byLang?.[l];
      rows.push([
        m,
        l,
        fmt(b),
        ...runs.slice(1).map((r) => {
          const v = nluOf(r.metrics.final)[m]?.[l];
          return v === undefined || b === undefined ? null : fmt(v - b);
        }),
      ]);
    }
  }
  return {
    title: `Deltas against ${base.runId}`,
    columns: ['metric', 'language', base.runId, ...runs.slice(1).map((r) => `Δ ${r.runId}`)],
    rows,
  };
}

/** Assembles the report of one run, or the side-by-side comparison of several. */
export function buildReport(runs: RunRecord[], reg: Registry): ReportModel {
  const single = runs.length === 1;
  const first = runs[0]!;
  const all = headlineMetrics(reg.registered('metric'));
  const figures = [...lossFigures(runs), ...retrievalFigures(runs), ...nluFigures(runs)];
  const tables: Table[] = [];
  if (single) {
    const cf = confusionFigure(first.metrics.final);
    if (cf) figures.push(cf);
    tables.push(stageTable(first, all), ...perLanguageTables(first));
    const cs = confusionSummary(first);
    if (cs) tables.push(cs);
  } else {
    const heads = measured(
      all,
      runs.map((r) => r.metrics.final),
    );
    tables.push({
      title: 'Final metrics (test)',
      columns: ['run', ...heads.map((h) => h.label)],
      rows: [
        ...runs.map((r) => [r.runId, ...Object.values(headline(r.metrics.final, heads)).map(fmt)]),
        ...baselineHeadlines(first.metrics.final, heads).map(([id, cells]) => [
          `${id} (baseline: ${first.runId}'s test split)`,
          ...Object.values(cells).map(fmt),
        ]),
      ],
    });
    tables.push(deltaTable(runs), ...runs.map((r) => stageTable(r, all)));
  }
  const { plugins, citations } = pluginsUsed(
    runs.map((r) => r.config),
    reg,
  );
  return {
    kind: single ? 'run' : 'compare',
    title: single ? `unir run ${first.runId}` : `unir comparison: ${runs.map((r) => r.runId).join(' vs ')}`,
    generatedAt: new Date().toISOString(),
    runs: runs.map((r) => ({
      runId: r.runId,
      dir: r.dir,
      experiment: r.metrics.experiment,
      backend: r.metrics.backend,
      seed: r.metrics.seed,
    })),
    config: single ? first.config : undefined,
    plugins,
    citations,
    environment: envTable(runs),
    figures,
    tables,
  };
}
