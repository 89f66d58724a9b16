import { existsSync, readdirSync, statSync } from 'node:fs';
import { UserError } from '../core/errors';
import { readRunJson, RUN_FILES, runFile, runLockHolder } from '../core/run';

const { config: CONFIG_JSON, run: RUN_JSON, metrics: METRICS_JSON } = RUN_FILES;

/**
 * Refuses, with the advice that fits, a directory `unir report` / `unir compare` cannot report: missing, not a
 * run, or a run without metrics.json (failed, stopped, still running, never started). `--resume` is suggested
 * only where it can work (the directory has config.json). A directory with metrics.json passes.
 */
export function checkReportableRun(cmd: string, dir: string): void {
  function fail(why: string): never {
    throw new UserError(`${cmd}: ${dir}: ${why}`);
  }
  if (!existsSync(dir))
    fail("no such run directory; 'unir runs' lists the recorded runs (their folders are under runs/)");
  if (!statSync(dir).isDirectory()) fail("a file, not a run directory; give the run's folder, e.g. runs/<runId>");
  if (existsSync(runFile(dir, 'metrics'))) return;
  const hasConfig = existsSync(runFile(dir, 'config'));
  const run = readRunJson(dir);
  if (!hasConfig && !run) {
    fail(
      `not a run directory (no ${RUN_JSON}, ${CONFIG_JSON} or ${METRICS_JSON}); give a folder 'unir run' wrote, e.g. runs/<runId> ('unir runs' lists them)`,
    );
  }
  const resume = `'unir run --resume ${dir}'`;
  const restart = run?.experiment ? `'unir run ${run.source ?? run.experiment}'` : "'unir run <experiment>'";
  const checkpoints = existsSync(runFile(dir, 'checkpoints')) && readdirSync(runFile(dir, 'checkpoints')).length > 0;
  const progress = run ? `step ${run.globalStep} of ${run.totalSteps}` : '';
  const pid = runLockHolder(dir);
  if (pid !== undefined)
    fail(
      `the run is still training (process ${pid}, ${progress}) and has no metrics yet; report it when it has finished`,
    );
  if (!run)
    fail(`the run never started training (no ${RUN_JSON}, no metrics); start it with ${resume}, then report it`);
  if (!hasConfig)
    fail(
      `the run has no ${CONFIG_JSON} and no metrics, so it cannot be resumed or reported; start a new one with ${restart}`,
    );
  const next = `${checkpoints ? `continue it from its last checkpoint with ${resume}` : `run it again with ${resume} (it has no checkpoint: it starts over)`}, then report it`;
  if (run.status === 'failed')
    fail(
      `the run failed at ${progress} before any metrics (${run.error ?? 'no error recorded'}); nothing to report. Fix that, then ${next}`,
    );
  if (run.status === 'finished')
    fail(
      `the run finished but its ${METRICS_JSON} is missing; restore that file, or run the experiment again with ${restart}`,
    );
  fail(`the run stopped at ${progress} before any metrics (status ${run.status}); nothing to report yet: ${next}`);
}
