import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors';
import { writeFileAtomic } from '../../fs-atomic';
import type { Trial } from '../sweep';

/** Where a sweep's Slurm files live: submissions, batch scripts, task logs and task records. */
export const slurmDir = (runsDir: string, sweepId: string) => join(runsDir, 'sweeps', sweepId, 'slurm');

/** sbatch options of a submission (each becomes `--name=value`; `args` are passed as they are). */
export interface SbatchOptions {
  partition?: string;
  time?: string;
  gres?: string;
  cpusPerTask?: number;
  mem?: string;
  /** Array tasks running at once (`--array=0-N%max`). */
  maxParallel?: number;
  args?: string[];
}

/** What a cluster task reads: the sweep's trials of this submission, in array-index order, and how to run them. */
export interface Submission {
  sweepId: string;
  /** The base experiment file, absolute. */
  base: string;
  runsDir: string;
  db: string;
  /** Plugin modules every trial imports, absolute paths or package names. */
  plugins: string[];
  trials: Trial[];
  createdAt: string;
  sbatch: SbatchOptions;
}

/** One line of submissions.jsonl: a job array and its submission file. */
export interface SubmittedJob {
  jobId: string;
  file: string;
  runIds: string[];
  at: string;
}

/** How an array task ended, written by the task itself (tasks/<jobId>_<index>.json). */
export interface TaskRecord {
  runId: string;
  jobId: string;
  taskId: string;
  status: 'finished' | 'interrupted' | 'failed' | 'skipped';
  error?: string;
  at: string;
}

export function writeSubmission(dir: string, s: Submission): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `submission-${s.createdAt.replace(/[-:.]/g, '')}-${process.pid}.json`);
  writeFileAtomic(file, `${JSON.stringify(s, null, 2)}\n`);
  return file;
}

export function readSubmission(file: string): Submission {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Submission;
  } catch (e) {
    throw new UserError(
      `${file}: cannot read the sweep submission (${(e as Error).message.split('\n')[0]}); submit the sweep again`,
    );
  }
}

export function recordJob(dir: string, job: SubmittedJob): void {
  appendFileSync(join(dir, 'submissions.jsonl'), `${JSON.stringify(job)}\n`);
}

/** Every job array submitted for a sweep, oldest first. */
export function submittedJobs(dir: string): SubmittedJob[] {
  const file = join(dir, 'submissions.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as SubmittedJob];
      } catch {
        return [];
      }
    });
}

export const taskRecordPath = (dir: string, jobId: string, taskId: string) =>
  join(dir, 'tasks', `${jobId}_${taskId}.json`);
export const taskLogPath = (dir: string, jobId: string, taskId: string) => join(dir, 'logs', `${jobId}_${taskId}.out`);

export function writeTaskRecord(dir: string, r: TaskRecord): void {
  mkdirSync(join(dir, 'tasks'), { recursive: true });
  writeFileAtomic(taskRecordPath(dir, r.jobId, r.taskId), `${JSON.stringify(r)}\n`);
}

export function readTaskRecord(dir: string, jobId: string, taskId: string): TaskRecord | undefined {
  try {
    return JSON.parse(readFileSync(taskRecordPath(dir, jobId, taskId), 'utf8')) as TaskRecord;
  } catch {
    return undefined;
  }
}
