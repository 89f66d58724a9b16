import { join } from 'node:path';
import type { Registry } from '../registry';
import { isRunDir, isRunFinished, loadAndResolve } from '../run';
import { resumeRun, runExperiment, type RunOutcome } from './run';
import type { Trial } from '../sweep/sweep';

export interface InProcessTrialOptions {
  /** The base experiment (name or file). */
  base: string;
  runsDir: string;
  registry: Registry;
  /** Plugin modules every trial imports (--plugin). */
  plugins?: readonly string[];
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** The run store (default: unir.duckdb in runsDir). */
  db?: string;
}

/**
 * One trial in this process, exactly as `unir run` runs it: a fresh run of the base experiment with the trial's
 * overrides and seed under its run id, or the resume of a trial that started (a requeued or resubmitted cluster
 * task). Returns undefined for a trial that already finished.
 */
export async function runTrialInProcess(t: Trial, o: InProcessTrialOptions): Promise<RunOutcome | undefined> {
  const dir = join(o.runsDir, t.runId);
  if (isRunFinished(dir)) return undefined;
  const common = { registry: o.registry, signal: o.signal, log: o.log, db: o.db };
  if (isRunDir(dir)) return resumeRun(dir, { ...common, plugins: o.plugins });
  const set = [...Object.entries(t.overrides), ['seed', t.seed] as const].map(([path, value]) => ({
    flag: `--set ${path}=${JSON.stringify(value)}`,
    path,
    value,
  }));
  const { resolved, source } = await loadAndResolve(
    { experiment: o.base, set },
    { registry: o.registry, plugins: o.plugins, warn: o.log },
  );
  return runExperiment(resolved, { ...common, outDir: o.runsDir, runId: t.runId, source });
}
