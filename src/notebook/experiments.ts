import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveExperiment } from '../core/config/experiment';
import { loadExperiment } from '../core/config/load';
import type { MetricsFile } from '../core/eval/metrics-schema';
import { repoPath } from '../core/paths';
import type { AnyPlugin } from '../core/registry';
import { buildReport, headline, loadRunRecord, type Figure, type RunRecord, type Table } from '../core/report';
import { loadSweep } from '../core/sweep/load-sweep';
import { overridesSlug, type Overrides } from '../core/sweep/overrides';
import { runTrials, type TrialOutcome } from '../core/sweep/run-sweep';
import { writeSweepReport, type PointSummary } from '../core/sweep/sweep-report';
import { expandSweep, SweepSchema, type SweepInput } from '../core/sweep/sweep';
import { modelSpecParser } from '../core/train/model-factory';
import { resumeRun, runExperiment as runResolved } from '../core/train/run';
import { readRunJson } from '../core/train/run-files';
import { registry } from '../plugins';
import { notebookLog } from './show';

/** Where notebook runs and sweeps go unless a call says: $UNIR_RUNS_DIR (the notebook tests point it at a temp
 * folder, so executing the notebooks never adds to a checkout's runs/ and its run store), else <repo>/runs. */
export const defaultRunsDir = () => process.env.UNIR_RUNS_DIR || repoPath('runs');

export interface RunExperimentOptions {
  /** Overrides by dotted path, as `unir run --set`. */
  set?: Overrides;
  seed?: number;
  /** Default: <experiment>-s<seed>[-<overrides slug>] (over 120 characters: cut, plus a hash of the whole), so re-running the cell finds the same run. */
  runId?: string;
  /** Parent of the run directory (default <repo>/runs). */
  out?: string;
  /** Train again even if a finished run with this id exists. */
  force?: boolean;
}

export interface ExperimentRun {
  runId: string;
  runDir: string;
  /** true: a finished run with this id was found and nothing was trained. */
  reused: boolean;
  metrics: MetricsFile;
}

/** Longest default run id; a longer one keeps its start and ends in a hash of the whole, so it stays unique. */
export const RUN_ID_MAX = 120;

/** `id` if it fits RUN_ID_MAX, else its first characters and 8 hex digits of its SHA-1 (two override sets never share a run). */
export function notebookRunId(id: string): string {
  if (id.length <= RUN_ID_MAX) return id;
  return `${id.slice(0, RUN_ID_MAX - 9)}-${createHash('sha1').update(id).digest('hex').slice(0, 8)}`;
}

const readMetrics = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')) as MetricsFile;

/**
 * Trains an experiment (a name in experiments/ or a file) in this process, so plugins registered in the
 * notebook are available; reuses a finished run with the same id, resumes an unfinished one.
 */
export async function runExperiment(nameOrPath: string, o: RunExperimentOptions = {}): Promise<ExperimentRun> {
  const overrides: Overrides = { ...(o.set ?? {}), ...(o.seed === undefined ? {} : { seed: o.seed }) };
  const { input, source } = await loadExperiment(nameOrPath, overrides);
  const reg = registry();
  const resolved = resolveExperiment(input, reg, { source, modelSpec: modelSpecParser });
  const e = resolved.experiment;
  const { seed: _seed, ...rest } = overrides;
  const slug = overridesSlug(rest);
  const runId = o.runId ?? notebookRunId(`${e.id}-s${e.seed}${slug ? `-${slug}` : ''}`);
  const outDir = resolve(o.out ?? defaultRunsDir());
  const runDir = join(outDir, runId);
  if (o.force) rmSync(runDir, { recursive: true, force: true });
  const status = readRunJson(runDir)?.status;
  if (status === 'finished' && existsSync(join(runDir, 'metrics.json'))) {
    console.log(`reusing finished run ${runDir} (force: true trains it again)`);
    return { runId, runDir, reused: true, metrics: readMetrics(runDir) };
  }
  const opts = { registry: reg, source, log: notebookLog, out: process.stdout };
  const r = existsSync(join(runDir, 'config.json'))
    ? await resumeRun(runDir, opts)
    : await runResolved(resolved, { ...opts, outDir, runId });
  if (r.result.status !== 'finished') throw new Error(`run ${runId} ended '${r.result.status}'`);
  return { runId, runDir, reused: false, metrics: readMetrics(runDir) };
}

/** A run directory's config, metrics, run.json and history. */
export function loadRun(runDir: string): RunRecord {
  return loadRunRecord(resolve(runDir));
}

/** The comparison report's figures and tables (same as `unir compare`), without writing files. */
export function compareRuns(runDirs: readonly string[]): { figures: Figure[]; tables: Table[] } {
  const m = buildReport(runDirs.map((d) => loadRunRecord(resolve(d))), registry());
  return { figures: m.figures, tables: m.tables };
}

export interface SweepOutcome {
  figures: Figure[];
  points: PointSummary[];
  table: Table;
  outcomes: TrialOutcome[];
  html: string;
}

/**
 * Runs a sweep (a file, or a spec object as in defineSweep) as `unir run` child processes, skipping finished
 * trials, and writes its report under <runsDir>/sweep-<id>/. Plugins registered in the notebook are not
 * visible to the child processes: sweep built-ins or experiment files only.
 */
export async function sweep(fileOrSpec: string | SweepInput, o: { parallel?: number; runsDir?: string } = {}): Promise<SweepOutcome> {
  const spec = typeof fileOrSpec === 'string' ? (await loadSweep(fileOrSpec)).spec : SweepSchema.parse(fileOrSpec);
  const trials = expandSweep(spec);
  const runsDir = resolve(o.runsDir ?? defaultRunsDir());
  const outcomes = await runTrials(trials, { base: spec.base, runsDir, parallel: o.parallel, log: notebookLog });
  const failed = outcomes.filter((x) => x.status === 'failed');
  if (failed.length) throw new Error(`sweep ${spec.id}: ${failed.length} trial(s) failed, e.g. ${failed[0]!.trial.runId}: ${failed[0]!.lastLines?.split('\n').pop() ?? ''}`);
  const keys = Object.keys(spec.params);
  const metricCols = new Set<string>();
  const heads = trials.map((t) => {
    const h = headline(readMetrics(join(runsDir, t.runId)).final);
    Object.keys(h).forEach((k) => metricCols.add(k));
    return h;
  });
  const table: Table = {
    title: `sweep ${spec.id}`,
    columns: ['runId', 'seed', ...keys, ...metricCols],
    rows: trials.map((t, i) => [t.runId, t.seed, ...keys.map((k) => t.point[k] as number), ...[...metricCols].map((c) => heads[i]![c] ?? null)]),
  };
  const r = writeSweepReport(spec, trials, runsDir, join(runsDir, `sweep-${spec.id}`), table);
  return { figures: r.figures, points: r.points, table, outcomes, html: r.html };
}

/**
 * Registers a plugin made in a cell (defineLoss, defineFusion, ...) in the process-wide registry and returns
 * one line saying so (a cell ending in registerPlugin(...) shows that line, not the plugin object); re-running
 * the cell replaces the plugin, with a warning.
 */
export function registerPlugin(plugin: AnyPlugin): string {
  const replaced = registry().has(plugin.kind, plugin.id);
  registry().register(plugin);
  const summary = typeof plugin.summary === 'string' && plugin.summary ? ` — ${plugin.summary}` : '';
  return `registered ${plugin.kind} '${plugin.id}'${replaced ? ' (replacing the earlier definition)' : ''}${summary}`;
}
