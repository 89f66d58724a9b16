import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { MetricsFile } from '../eval/metrics-schema';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { type HistoryRow, readHistory } from './history';
import { readJsonFile, readJsonOrUndefined } from './json';
import { RUN_FILES, runFile } from './layout';
import { readMetricsJson } from './metrics';
import { type RunJson, readRunJson } from './run-json';

export type { Metrics, MetricsFile } from '../eval/metrics-schema';

/** Everything a run folder records, read in one place: reports, the run store, sweeps and notebooks take this. */
export interface RunRecord {
  dir: string;
  runId: string;
  metrics: MetricsFile;
  config: Record<string, unknown>;
  /** run.json (older runs kept some fields under `env`). */
  run: Partial<RunJson> & Record<string, unknown>;
  history: HistoryRow[];
}

/** The history file a run's config names (the history-jsonl observer's `file`), else history.jsonl. */
function historyPath(dir: string, config: Record<string, unknown>): string {
  const observers = Array.isArray(config.observers) ? (config.observers as { id?: unknown; file?: unknown }[]) : [];
  const own = observers.find((o) => o?.id === 'history-jsonl' && typeof o.file === 'string')?.file as
    | string
    | undefined;
  return join(dir, own ?? RUN_FILES.history);
}

/** Reads a run folder that has metrics; a folder without metrics.json is a one-line UserError saying why. */
export function loadRunRecord(runDir: string): RunRecord {
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw new UserError(`${runDir}: no such run directory; list runs with 'unir runs'`);
  const metrics = readMetricsJson(dir);
  const fix = 'restore it, or re-run the experiment';
  const config = readJsonFile<Record<string, unknown>>(runFile(dir, 'config'), fix) ?? {};
  const run = readJsonFile<RunRecord['run']>(runFile(dir, 'run'), fix) ?? {};
  return {
    dir,
    runId: metrics.runId ?? basename(dir),
    metrics,
    config,
    run,
    history: readHistory(historyPath(dir, config)),
  };
}

/** Finished: the run wrote final metrics and (when it has a run.json) says so there. */
export function isRunFinished(runDir: string): boolean {
  const m = readJsonOrUndefined<{ final?: object }>(runFile(runDir, 'metrics'));
  if (!m?.final || Object.keys(m.final).length === 0) return false;
  if (!existsSync(runFile(runDir, 'run'))) return true;
  return readRunJson(runDir)?.status === 'finished';
}

/** A run's final metrics when it finished, else undefined. */
export const finishedMetrics = (runDir: string): MetricsFile | undefined =>
  isRunFinished(runDir) ? readMetricsJson(runDir) : undefined;

/** Whether a folder holds a run (started or not): it has config.json or checkpoints/. */
export const isRunDir = (dir: string) => existsSync(runFile(dir, 'config')) || existsSync(runFile(dir, 'checkpoints'));

/** A run directory's config.json, parsed; one-line UserErrors for a directory that is not a run or a damaged file. */
export function readRunConfig(runDir: string): { dir: string; cfgPath: string; cfg: unknown } {
  const dir = resolve(runDir);
  const cfgPath = runFile(dir, 'config');
  if (!existsSync(cfgPath))
    throw new UserError(
      `${runDir}: not a run directory (no ${RUN_FILES.config}); give a directory 'unir run' created, e.g. runs/<runId>`,
    );
  return { dir, cfgPath, cfg: readJsonFile<unknown>(cfgPath, 'restore it or start a new run') };
}

/** config.json of a run, or undefined when it has none or it does not parse. */
export const peekRunConfig = (runDir: string): unknown => readJsonOrUndefined<unknown>(runFile(runDir, 'config'));

export function writeRunConfig(runDir: string, config: unknown): void {
  writeFileAtomic(runFile(runDir, 'config'), `${JSON.stringify(config, null, 2)}\n`);
}

/** Run directories under `outDir` (newest first), for messages. */
export function listRunDirs(outDir: string): string[] {
  if (!existsSync(outDir)) return [];
  return readdirSync(outDir)
    .filter((d) => existsSync(join(outDir, d, RUN_FILES.config)))
    .sort()
    .reverse();
}
