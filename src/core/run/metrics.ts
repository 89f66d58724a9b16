import { existsSync, readFileSync } from 'node:fs';
import { MetricsFileSchema, type MetricsFile } from '../eval/metrics-schema';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { formatZodError } from '../registry/registry';
import { RUN_FILES, runFile } from './layout';
import { runLockHolder } from './lock';
import { readRunJson } from './run-json';

/** Validates and writes runDir/metrics.json atomically (temp file + rename). Invalid content throws, writing nothing. */
export function writeMetricsJson(runDir: string, obj: MetricsFile): string {
  const path = runFile(runDir, 'metrics');
  const r = MetricsFileSchema.safeParse(obj);
  if (!r.success) throw new Error(`${path}: refusing to write invalid metrics: ${formatZodError(r.error)}`);
  writeFileAtomic(path, `${JSON.stringify(r.data, null, 2)}\n`);
  return path;
}

/** Reads and validates runDir/metrics.json; a missing, unreadable or invalid file is a one-line UserError. */
export function readMetricsJson(runDir: string): MetricsFile {
  const path = runFile(runDir, 'metrics');
  if (!existsSync(path)) throw new UserError(`${path}: missing; ${whyNoMetrics(runDir)}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(
      `${path}: not valid JSON (${(e as Error).message.split('\n')[0]}); re-run the evaluation or restore the file`,
    );
  }
  const r = MetricsFileSchema.safeParse(raw);
  if (!r.success) throw new UserError(`${path}: ${formatZodError(r.error)}; see docs/metrics-json.md`);
  return r.data;
}

/**
 * Why a run directory has no metrics.json, and the advice that fits it (from its run.json, config.json and
 * run.lock): not a run, still training, failed (with its error), stopped, finished without the file. `--resume`
 * is advised only where it can work: the directory has the config.json it resumes from.
 */
export function whyNoMetrics(runDir: string): string {
  const run = readRunJson(runDir);
  const hasConfig = existsSync(runFile(runDir, 'config'));
  const { config, metrics } = RUN_FILES;
  if (!run && !hasConfig)
    return `this is not a run directory (no run.json or ${config}); give a folder 'unir run' wrote, e.g. runs/<runId> ('unir runs' lists them)`;
  const at = run ? `step ${run.globalStep ?? 0} of ${run.totalSteps ?? '?'}` : 'its start';
  const pid = runLockHolder(runDir);
  if (pid !== undefined)
    return `the run is still training (process ${pid}, ${at}); ${metrics} is written after its first stage's evaluation`;
  const restart = `'unir run ${run?.source ?? run?.experiment ?? '<experiment>'}'`;
  if (!hasConfig) return `the run has no ${config} either, so it cannot be resumed; start a new one with ${restart}`;
  const resume = `'unir run --resume ${runDir}'`;
  if (!run) return `the run never started training; start it with ${resume}`;
  if (run.status === 'finished')
    return `the run finished but its ${metrics} is gone; restore the file, or run the experiment again with ${restart}`;
  if (run.status === 'failed')
    return `the run failed at ${at} before any metrics (${run.error ?? 'no error recorded'}); fix that, then continue it with ${resume}`;
  return `the run stopped at ${at} before any metrics (status ${run.status ?? 'unknown'}); continue it with ${resume}`;
}
