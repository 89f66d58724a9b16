import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors';
import { repoPath } from '../../paths';
import { withFileLock } from '../../store/lock';
import type { Trial } from '../sweep';
import { slurm } from './slurm-cli';
import { jobName, sweepStatus, type TrialStatus } from './status';
import { recordJob, slurmDir, writeSubmission, type SbatchOptions, type Submission } from './submission';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The batch script of every submission: the array task runs its trial with `unir sweep-task`. */
function batchScript(submissionFile: string): string {
  return `#!/bin/bash
# Written by 'unir sweep --executor slurm': array task i runs trial i of the submission (resuming it if it started).
cd ${quote(process.cwd())}
export UNIR_WASM_THREADS="\${UNIR_WASM_THREADS:-\${SLURM_CPUS_PER_TASK:-1}}"
exec "\${UNIR_NODE:-${process.execPath}}" ${quote(repoPath('bin/unir.mjs'))} sweep-task ${quote(submissionFile)}
`;
}

/** sbatch's arguments for an array of `n` tasks. */
export function sbatchArgs(sweepId: string, n: number, dir: string, o: SbatchOptions): string[] {
  const safe = (name: string, v: string | number | undefined) => {
    if (v === undefined) return [];
    if (/[\n\r]/.test(String(v)) || String(v) === '') throw new UserError(`--${name}: give a value on one line`);
    return [`--${name}=${v}`];
  };
  const max = o.maxParallel ? `%${o.maxParallel}` : '';
  return [
    '--parsable',
    `--job-name=${jobName(sweepId)}`,
    `--array=0-${n - 1}${max}`,
    `--output=${join(dir, 'logs', '%A_%a.out')}`,
    '--open-mode=append',
    '--requeue',
    ...safe('partition', o.partition),
    ...safe('time', o.time),
    ...safe('gres', o.gres),
    ...safe('cpus-per-task', o.cpusPerTask),
    ...safe('mem', o.mem),
    ...(o.args ?? []),
  ];
}

export interface SubmitResult {
  jobId?: string;
  submitted: Trial[];
  /** Status of every trial before this submission. */
  before: TrialStatus[];
}

/**
 * Submits the trials that are neither finished nor queued as one job array, under a lock so two submissions at
 * once cannot both submit a trial: nothing is submitted twice, a finished trial never again.
 */
export async function submitSweep(s: Omit<Submission, 'trials' | 'createdAt'>, trials: Trial[]): Promise<SubmitResult> {
  const dir = slurmDir(s.runsDir, s.sweepId);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  return withFileLock(join(dir, 'submit.lock'), async () => {
    const before = sweepStatus(s.sweepId, trials, s.runsDir);
    const todo = trials.filter((_, i) => before[i]!.state === 'failed' || before[i]!.state === 'not submitted');
    if (!todo.length) return { submitted: [], before };
    const createdAt = new Date().toISOString();
    const file = writeSubmission(dir, { ...s, trials: todo, createdAt });
    const script = file.replace(/\.json$/, '.sh');
    writeFileSync(script, batchScript(file));
    chmodSync(script, 0o755);
    let out: string;
    try {
      out = slurm('sbatch', [...sbatchArgs(s.sweepId, todo.length, dir, s.sbatch), script]).stdout.trim();
    } catch (e) {
      // sbatch refused (bad partition, controller down, ...): nothing was submitted, so leave no submission behind.
      rmSync(file, { force: true });
      rmSync(script, { force: true });
      throw e;
    }
    const jobId = out.split(';')[0]!.trim();
    if (!/^\d+$/.test(jobId))
      throw new UserError(
        `sbatch: unexpected answer '${out}' (expected a job id); nothing recorded, check 'squeue --name=${jobName(s.sweepId)}'`,
      );
    recordJob(dir, { jobId, file, runIds: todo.map((t) => t.runId), at: createdAt });
    return { jobId, submitted: todo, before };
  });
}
