import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeMetricsJson } from '../eval/metrics-file';
import type { MetricsFile } from '../eval/metrics-schema';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { isProcessAlive } from '../store/lock';
import { REPO_ROOT, repoPath } from '../paths';
import type { Observer } from './observer';

export const CONFIG_JSON = 'config.json';
export const RUN_JSON = 'run.json';
export const CHECKPOINTS = 'checkpoints';

/** The commit the code runs at (short sha, `+dirty` when the tree has changes), if this is a git checkout. */
export function gitSha(): string | undefined {
  const cwd = REPO_ROOT;
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return undefined;
  }
}

/**
 * Marks a run directory as in use by this process (run.lock: pid, host, since), so that a second `unir run
 * --resume` cannot train the same run at the same time. A lock whose process is gone (kill -9) is taken
 * over. Returns the release function.
 */
export function lockRun(runDir: string): () => void {
  const path = join(runDir, 'run.lock');
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: { pid?: number; host?: string; since?: string } = {};
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as typeof holder;
      } catch {
        // torn or empty: treat as stale
      }
      const alive = holder.host === hostname() && typeof holder.pid === 'number' && isProcessAlive(holder.pid);
      if (alive) throw new UserError(`${runDir}: in use by process ${holder.pid} since ${holder.since}; wait for it, or stop it first`);
      rmSync(path, { force: true });
    }
  }
  throw new UserError(`${runDir}: could not lock the run directory (run.lock keeps reappearing); is another unir process starting it?`);
}

/** A run directory's config.json, parsed; one-line UserErrors for a directory that is not a run or a damaged file. */
export function readRunConfig(runDir: string): { dir: string; cfgPath: string; cfg: unknown } {
  const dir = resolve(runDir);
  const cfgPath = join(dir, CONFIG_JSON);
  if (!existsSync(cfgPath)) throw new UserError(`${runDir}: not a run directory (no ${CONFIG_JSON}); give a directory 'unir run' created, e.g. runs/<runId>`);
  try {
    return { dir, cfgPath, cfg: JSON.parse(readFileSync(cfgPath, 'utf8')) as unknown };
  } catch (e) {
    throw new UserError(`${cfgPath}: not valid JSON (${(e as Error).message.split('\n')[0]}); restore it or start a new run`);
  }
}

/** unir's version (package.json). */
export function unirVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** run.json: what ran where, and how it ended. */
export interface RunJson {
  runId: string;
  experiment: string;
  source?: string;
  status: 'running' | 'finished' | 'failed' | 'interrupted';
  seed: number;
  backend: string;
  threads: number;
  simd?: boolean;
  gitSha?: string;
  node: string;
  tfjs: string;
  unir?: string;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** Wall time over every process of the run (resumes add up). */
  durationSec: number;
  globalStep: number;
  totalSteps: number;
  /** One entry per resume: when, from which step, on which git sha. */
  resumes: { at: string; fromStep: number; gitSha?: string }[];
  error?: string;
}

export function readRunJson(runDir: string): RunJson | undefined {
  const p = join(runDir, RUN_JSON);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as RunJson;
  } catch {
    return undefined;
  }
}

/**
 * Keeps run.json and metrics.json of a run directory up to date: status at start, after every stage and
 * at the end (also on failure); metrics.json = `{runId, experiment, backend, seed, stages: [{name, metrics}],
 * final}` after every stage (final = {} until the test evaluation). Its state (the stage metrics) travels in
 * checkpoints, so a resumed run writes the same metrics.json as an uninterrupted one.
 */
export function runRecorder(init: Omit<RunJson, 'status' | 'updatedAt' | 'durationSec' | 'globalStep' | 'totalSteps' | 'resumes' | 'node' | 'tfjs' | 'unir'> & { runDir: string; previous?: RunJson }) {
  const { runDir, previous, ...fields } = init;
  const t0 = performance.now();
  const record: RunJson = {
    ...fields, node: process.version, tfjs: tf.version_core, unir: unirVersion(), status: 'running', startedAt: previous?.startedAt ?? fields.startedAt,
    updatedAt: new Date().toISOString(), durationSec: previous?.durationSec ?? 0, globalStep: 0, totalSteps: 0, resumes: previous?.resumes ?? [],
  };
  const base = previous?.durationSec ?? 0;
  let stages: MetricsFile['stages'] = [];
  const writeRun = (patch: Partial<RunJson>) => {
    Object.assign(record, patch, { updatedAt: new Date().toISOString(), durationSec: Math.round((base + (performance.now() - t0) / 1000) * 10) / 10 });
    writeFileAtomic(join(runDir, RUN_JSON), `${JSON.stringify(record, null, 2)}\n`);
  };
  const writeMetrics = (final: Record<string, unknown>) =>
    writeMetricsJson(runDir, { runId: record.runId, experiment: record.experiment, backend: record.backend, seed: record.seed, stages, final } as MetricsFile);

  const observer: Observer = {
    onRunStart(r) {
      if (r.resumedFrom) record.resumes = [...record.resumes, { at: new Date().toISOString(), fromStep: r.resumedFrom.globalStep, gitSha: fields.gitSha }];
      writeRun({ status: 'running', totalSteps: r.totalSteps, globalStep: r.resumedFrom?.globalStep ?? 0 });
    },
    onStepEnd(s) {
      record.globalStep = s.globalStep;
    },
    onStageEnd(s) {
      if (s.metrics) {
        stages = [...stages.filter((x) => x.name !== s.name), { name: s.name, metrics: s.metrics as MetricsFile['final'] }];
        writeMetrics({});
      }
      writeRun({});
    },
    onRunEnd(r) {
      if (r.status === 'finished') writeMetrics(r.final ?? {});
      writeRun({ status: r.status, ...(r.status === 'finished' ? { finishedAt: new Date().toISOString() } : {}), ...(r.error ? { error: r.error } : {}) });
    },
    state: () => ({ stages }),
    restore(s) {
      stages = ((s as { stages?: MetricsFile['stages'] } | undefined)?.stages ?? []).slice();
    },
  };
  return { observer, record };
}
