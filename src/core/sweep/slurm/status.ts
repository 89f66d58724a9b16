import { join } from 'node:path';
import { isRunFinished, readRunJson } from '../../run';
import type { Trial } from '../sweep';
import { slurm } from './slurm-cli';
import { readTaskRecord, slurmDir, submittedJobs, taskLogPath } from './submission';

export type TrialState = 'finished' | 'running' | 'pending' | 'failed' | 'not submitted';

export interface TrialStatus {
  runId: string;
  state: TrialState;
  /** Job array task, `<jobId>_<index>`, of the newest submission holding the trial. */
  task?: string;
  /** What happened, for failed and running trials: step, error, how the task ended, its log. */
  detail?: string;
}

/** The sweep's job name in the queue. */
export const jobName = (sweepId: string) => `unir-${sweepId}`;

/** Queue states of the sweep's array tasks, by `<jobId>_<index>` (squeue -r: one line per task). */
function queued(sweepId: string): Map<string, { state: string; node: string }> {
  const r = slurm('squeue', ['-h', '-r', `--name=${jobName(sweepId)}`, '-o', '%F|%K|%T|%N']);
  const out = new Map<string, { state: string; node: string }>();
  for (const line of r.stdout.split('\n')) {
    const [job, task, state, node] = line.trim().split('|');
    if (job && task && state) out.set(`${job}_${task}`, { state, node: node ?? '' });
  }
  return out;
}

/** Final Slurm states of finished array tasks, where accounting is on (sacct); empty otherwise. */
function accounted(jobIds: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (!jobIds.length) return out;
  const r = slurm('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State'], { allowFail: true });
  if (!r.ok) return out;
  for (const line of r.stdout.split('\n')) {
    const [id, state] = line.trim().split('|');
    if (id && state) out.set(id, state.split(' ')[0]!);
  }
  return out;
}

const PENDING = /^(PENDING|CONFIGURING|REQUEUED|REQUEUE_HOLD|REQUEUE_FED|RESV_DEL_HOLD|SUSPENDED)$/;

/**
 * pending / running / finished / failed per trial, from the queue (squeue), accounting where the cluster has it
 * (sacct), the tasks' own records and the run folders. A trial counts as finished only when its run folder says
 * so; a submitted trial that is neither queued nor finished has failed (cancelled, out of time, preempted without
 * requeue, crashed), with what is known of why.
 */
export function sweepStatus(sweepId: string, trials: Trial[], runsDir: string): TrialStatus[] {
  const dir = slurmDir(runsDir, sweepId);
  const jobs = submittedJobs(dir);
  const latest = new Map<string, { jobId: string; index: number }>();
  for (const j of jobs) j.runIds.forEach((id, index) => latest.set(id, { jobId: j.jobId, index }));
  const inQueue = jobs.length ? queued(sweepId) : new Map<string, { state: string; node: string }>();
  const acct = accounted([...new Set([...latest.values()].map((l) => l.jobId))]);
  return trials.map((t) => {
    const runDir = join(runsDir, t.runId);
    const sub = latest.get(t.runId);
    const task = sub ? `${sub.jobId}_${sub.index}` : undefined;
    if (isRunFinished(runDir)) return { runId: t.runId, state: 'finished', task };
    const run = readRunJson(runDir);
    const progress = run ? `step ${run.globalStep} of ${run.totalSteps}` : 'not started';
    if (!sub)
      return { runId: t.runId, state: 'not submitted', detail: run ? `${run.status} at ${progress}` : undefined };
    const q = inQueue.get(task!);
    if (q && PENDING.test(q.state)) return { runId: t.runId, state: 'pending', task, detail: q.state.toLowerCase() };
    if (q)
      return { runId: t.runId, state: 'running', task, detail: `${q.state.toLowerCase()} on ${q.node}, ${progress}` };
    const record = readTaskRecord(dir, sub.jobId, String(sub.index));
    const slurmState = acct.get(task!);
    const how =
      record?.status === 'failed'
        ? `failed: ${record.error ?? 'no error recorded'}`
        : record?.status === 'interrupted' || run?.status === 'interrupted'
          ? `stopped at ${progress} (${slurmState?.toLowerCase() ?? 'cancelled, out of time or preempted'}); submitting again resumes it`
          : `ended without finishing (${slurmState?.toLowerCase() ?? 'killed, or crashed before it could say'}, ${progress})`;
    return {
      runId: t.runId,
      state: 'failed',
      task,
      detail: `${how}; log: ${taskLogPath(dir, sub.jobId, String(sub.index))}`,
    };
  });
}

/**
 * Polls the sweep's status every `pollMs` until no trial is pending or running; `onChange` gets a one-line summary
 * ("2 finished, 1 running, 1 pending, 0 failed") whenever it changes. Returns the final status per trial.
 */
export async function waitForSweep(
  sweepId: string,
  trials: Trial[],
  runsDir: string,
  onChange: (line: string) => void,
  pollMs = 2000,
): Promise<TrialStatus[]> {
  let last = '';
  for (;;) {
    const st = sweepStatus(sweepId, trials, runsDir);
    const line = (['finished', 'running', 'pending', 'failed'] as const)
      .map((k) => `${st.filter((s) => s.state === k).length} ${k}`)
      .join(', ');
    if (line !== last) onChange(line);
    last = line;
    if (!st.some((s) => s.state === 'pending' || s.state === 'running')) return st;
    await new Promise((res) => setTimeout(res, pollMs));
  }
}
