import { dirname } from 'node:path';
import { disposeBackend } from '../../core/backend';
import { UserError } from '../../core/errors';
import { readSubmission, writeTaskRecord } from '../../core/sweep/slurm/submission';
import { runTrialInProcess } from '../../core/train/trial-run';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';

export const command: CliCommand = {
  name: 'sweep-task',
  summary: "One Slurm array task of 'unir sweep --executor slurm' (run by the batch script, not by hand)",
  usage: `Usage: unir sweep-task <submission.json> [--index N]

Runs trial N (default $SLURM_ARRAY_TASK_ID) of a sweep submission in this process: a fresh run, or the resume of
a trial that started (a requeued or resubmitted task). SIGTERM (scancel, time limit, preemption) stops it at the
next step with a checkpoint, so the next task continues from there. Writes tasks/<job>_<index>.json beside the
submission: how the task ended.`,
  async run(argv) {
    const { values, positionals } = parseFlags('sweep-task', argv, { index: { type: 'string' } });
    if (positionals.length !== 1) throw new UserError('sweep-task: give the submission file the batch script names');
    const file = positionals[0]!;
    const index = Number(values.index ?? process.env.SLURM_ARRAY_TASK_ID);
    const sub = readSubmission(file);
    const trial = sub.trials[index];
    if (!Number.isInteger(index) || !trial)
      throw new UserError(
        `sweep-task: no trial ${values.index ?? process.env.SLURM_ARRAY_TASK_ID ?? '(no --index, no SLURM_ARRAY_TASK_ID)'} in ${file} (${sub.trials.length} trials)`,
      );
    const jobId = process.env.SLURM_ARRAY_JOB_ID ?? process.env.SLURM_JOB_ID ?? 'local';
    const record = (status: 'finished' | 'interrupted' | 'failed' | 'skipped', error?: string) =>
      writeTaskRecord(dirname(file), {
        runId: trial.runId,
        jobId,
        taskId: String(index),
        status,
        error,
        at: new Date().toISOString(),
      });
    const stop = new AbortController();
    const onSignal = (sig: string) => {
      process.stderr.write(`unir sweep-task: ${sig}: stopping ${trial.runId} after this step (checkpoint follows)\n`);
      stop.abort();
    };
    const term = () => onSignal('SIGTERM');
    const int = () => onSignal('SIGINT');
    process.on('SIGTERM', term);
    process.on('SIGINT', int);
    console.log(
      `sweep-task: ${trial.runId} (trial ${index} of ${sub.trials.length}, job ${jobId}, ${process.env.SLURMD_NODENAME ?? 'this host'})`,
    );
    try {
      const r = await runTrialInProcess(trial, {
        base: sub.base,
        runsDir: sub.runsDir,
        registry: registry(),
        plugins: sub.plugins,
        signal: stop.signal,
        db: sub.db,
      });
      const status = r === undefined ? 'skipped' : r.result.status;
      record(status);
      console.log(`sweep-task: ${trial.runId} ${status === 'skipped' ? 'already finished' : status}`);
      return status === 'interrupted' ? 130 : 0;
    } catch (e) {
      record('failed', (e as Error).message.split('\n')[0]);
      throw e;
    } finally {
      process.off('SIGTERM', term);
      process.off('SIGINT', int);
      await disposeBackend();
    }
  },
};
