import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MetricsFile } from '../core/eval/metrics-schema';
import { repoPath } from '../core/paths';
import type { AnyPlugin } from '../core/registry';
import { headlineMetrics } from '../core/eval/headline';
import { buildReport, headline, type Figure, type Table } from '../core/report';
import {
  finishedMetrics,
  formatRunId,
  isRunDir,
  loadAndResolve,
  loadRunRecord,
  readMetricsJson,
  type RunRecord,
} from '../core/run';
import { loadSweep } from '../core/sweep/load-sweep';
import { overridesSlug, type Overrides } from '../core/config/overrides';
import { runTrials, type TrialOutcome } from '../core/sweep/run-sweep';
import { writeSweepReport, type PointSummary } from '../core/sweep/sweep-report';
import { expandSweep, SweepSchema, type SweepInput, type Trial } from '../core/sweep/sweep';
import { requireSlurmClient } from '../core/sweep/slurm/slurm-cli';
import { waitForSweep } from '../core/sweep/slurm/status';
import { submitSweep } from '../core/sweep/slurm/submit';
import type { SbatchOptions } from '../core/sweep/slurm/submission';
import { findExperimentFile } from '../core/config/load';
import { resumeRun, runExperiment as runResolved } from '../core/train/run';
import { registry } from '../plugins';
import { notebookLog } from './show';

/** Where notebook runs and sweeps go unless a call says: $UNIR_RUNS_DIR (the notebook tests point it at a temp
 * folder, so executing the notebooks never adds to a checkout's runs/ and its run store), else <repo>/runs. */
export const defaultRunsDir = () => process.env.UNIR_RUNS_DIR || repoPath('runs');

export interface RunExperimentOptions {
  /** Overrides by dotted path, as `unir run --set`. */
  set?: Overrides;
  seed?: number;
  /** Default: `<experiment>--<overrides slug, or base>--s<seed>` (the run-id format, src/core/run/run-id.ts), so re-running the cell finds the same run. */
  runId?: string;
  /** Parent of the run directory (default <repo>/runs). */
  out?: string;
  /** Train again even if a finished run with this id exists. */
  force?: boolean;
  /** Plugin modules to import (as `unir run --plugin`); the run records them, so other processes can reopen it. */
  plugins?: string[];
}

export interface ExperimentRun {
  runId: string;
  runDir: string;
  /** true: a finished run with this id was found and nothing was trained. */
  reused: boolean;
  metrics: MetricsFile;
}

/**
 * Trains an experiment (a name in experiments/ or a file) in this process, so plugins registered in the
 * notebook are available; reuses a finished run with the same id, resumes an unfinished one.
 */
export async function runExperiment(nameOrPath: string, o: RunExperimentOptions = {}): Promise<ExperimentRun> {
  const overrides: Overrides = { ...(o.set ?? {}), ...(o.seed === undefined ? {} : { seed: o.seed }) };
  const set = Object.entries(overrides).map(([path, value]) => ({ flag: `set['${path}']`, path, value }));
  const reg = registry();
  const { resolved, source } = await loadAndResolve(
    { experiment: nameOrPath, set },
    { registry: reg, plugins: o.plugins, warn: notebookLog },
  );
  const e = resolved.experiment;
  const { seed: _seed, ...rest } = overrides;
  const runId = o.runId ?? formatRunId(e.id, overridesSlug(rest), e.seed);
  const outDir = resolve(o.out ?? defaultRunsDir());
  const runDir = join(outDir, runId);
  if (o.force) rmSync(runDir, { recursive: true, force: true });
  const done = finishedMetrics(runDir);
  if (done) {
    console.log(`reusing finished run ${runDir} (force: true trains it again)`);
    return { runId, runDir, reused: true, metrics: done };
  }
  const opts = { registry: reg, source, log: notebookLog, out: process.stdout };
  const r = isRunDir(runDir) ? await resumeRun(runDir, opts) : await runResolved(resolved, { ...opts, outDir, runId });
  if (r.result.status !== 'finished') throw new Error(`run ${runId} ended '${r.result.status}'`);
  return { runId, runDir, reused: false, metrics: readMetricsJson(runDir) };
}

/** A run directory's config, metrics, run.json and history. */
export function loadRun(runDir: string): RunRecord {
  return loadRunRecord(resolve(runDir));
}

/** The comparison report's figures and tables (same as `unir compare`), without writing files. */
export function compareRuns(runDirs: readonly string[]): { figures: Figure[]; tables: Table[] } {
  const m = buildReport(
    runDirs.map((d) => loadRunRecord(resolve(d))),
    registry(),
  );
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
export async function sweep(fileOrSpec: string | SweepInput, o: SweepOptions = {}): Promise<SweepOutcome> {
  const spec = typeof fileOrSpec === 'string' ? (await loadSweep(fileOrSpec)).spec : SweepSchema.parse(fileOrSpec);
  const trials = expandSweep(spec);
  const runsDir = resolve(o.runsDir ?? defaultRunsDir());
  const outcomes =
    o.executor === 'slurm'
      ? await slurmTrials(spec.id, spec.base, trials, runsDir, o)
      : await runTrials(trials, {
          base: spec.base,
          runsDir,
          parallel: o.parallel,
          plugins: o.plugins,
          log: notebookLog,
        });
  const failed = outcomes.filter((x) => x.status === 'failed');
  if (failed.length)
    throw new Error(
      `sweep ${spec.id}: ${failed.length} trial(s) failed, e.g. ${failed[0]!.trial.runId}: ${failed[0]!.lastLines?.split('\n').pop() ?? ''}`,
    );
  const keys = Object.keys(spec.params);
  const metricCols = new Set<string>();
  const headlines = headlineMetrics(registry().registered('metric'));
  const heads = trials.map((t) => {
    const h = headline(readMetricsJson(join(runsDir, t.runId)).final, headlines);
    Object.keys(h).forEach((k) => metricCols.add(k));
    return h;
  });
  const table: Table = {
    title: `sweep ${spec.id}`,
    columns: ['runId', 'seed', ...keys, ...metricCols],
    rows: trials.map((t, i) => [
      t.runId,
      t.seed,
      ...keys.map((k) => t.point[k] as number),
      ...[...metricCols].map((c) => heads[i]![c] ?? null),
    ]),
  };
  const r = writeSweepReport(spec, trials, runsDir, join(runsDir, `sweep-${spec.id}`), table, headlines);
  return { figures: r.figures, points: r.points, table, outcomes, html: r.html };
}

export interface SweepOptions {
  /** local (default): trials as child processes here, `parallel` at a time. slurm: one sbatch job array (as
   * `unir sweep --executor slurm --wait`): the call returns when no trial is queued. */
  executor?: 'local' | 'slurm';
  parallel?: number;
  runsDir?: string;
  /** slurm: the run store the cluster tasks record finished trials in (default <runsDir>/unir.duckdb). */
  db?: string;
  /** slurm: sbatch options (partition, time, gres, cpusPerTask, mem, args); `parallel` is the array's %N. */
  slurm?: Omit<SbatchOptions, 'maxParallel'>;
  /** Plugin modules every trial imports (paths or packages). Plugins registered in a cell live in this kernel only,
   * so trials in other processes cannot see them: put them in a module and name it here. */
  plugins?: string[];
}

/** Submits the unfinished trials as one Slurm job array, waits until none is queued, and reports each trial's state. */
async function slurmTrials(
  sweepId: string,
  base: string,
  trials: Trial[],
  runsDir: string,
  o: SweepOptions,
): Promise<TrialOutcome[]> {
  requireSlurmClient();
  const r = await submitSweep(
    {
      sweepId,
      base: findExperimentFile(base),
      runsDir,
      db: resolve(o.db ?? join(runsDir, 'unir.duckdb')),
      plugins: o.plugins ?? [],
      sbatch: { ...o.slurm, maxParallel: o.parallel },
    },
    trials,
  );
  notebookLog(
    r.jobId
      ? `sweep ${sweepId}: submitted job array ${r.jobId} (${r.submitted.length} tasks)`
      : `sweep ${sweepId}: nothing to submit`,
  );
  const st = await waitForSweep(sweepId, trials, runsDir, (line) => notebookLog(`sweep ${sweepId}: ${line}`));
  return trials.map(
    (trial, i): TrialOutcome => ({
      trial,
      status: st[i]!.state === 'finished' ? 'finished' : 'failed',
      lastLines: st[i]!.detail,
    }),
  );
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
