import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../fs-atomic';
import { REPO_ROOT, repoPath } from '../paths';
import { readJsonOrUndefined } from './json';
import { runFile } from './layout';

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
  /** wasm: unir's kernels ran with relaxed SIMD (fused multiply-add); results differ from the plain build's in the last bits. */
  relaxedSimd?: boolean;
  /** wasm: the instruction set of the native addon (products, GELU, attention, convolution, AdamW: 'avx512f', 'avx2+fma'), or 'off: ' and why; results are the same. */
  nativeGemm?: string;
  gitSha?: string;
  node: string;
  tfjs: string;
  unir?: string;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** Wall time over every process of the run (resumes add up). */
  durationSec: number;
  /** durationSec split into parts (docs/run-json.md); absent in run.json files written before it existed. */
  timings?: RunTimings;
  globalStep: number;
  totalSteps: number;
  /** One entry per resume: when, from which step, on which git sha. */
  resumes: { at: string; fromStep: number; gitSha?: string }[];
  error?: string;
  /** Set by a cluster task (Slurm): job and array task that last ran it. */
  slurm?: { jobId: string; taskId?: string; node?: string };
}

/**
 * Where a run's wall time went, in seconds rounded to 0.1, summed over every process of the run (resumes add up):
 * data loading and checks, training steps, evaluations (baselines included), checkpoint writing, and `other`, the
 * rest; data + steps + eval + checkpoints + other = total (= durationSec).
 */
export interface RunTimings {
  data: number;
  steps: number;
  /** steps per stage name. */
  stepsByStage: Record<string, number>;
  eval: number;
  /** eval per phase: the stage after which the validation split was evaluated, or 'final' (test split). */
  evalByPhase: Record<string, number>;
  checkpoints: number;
  other: number;
  total: number;
}

/** A run's run.json, or undefined when it has none (or it is unreadable). */
export const readRunJson = (runDir: string): RunJson | undefined =>
  readJsonOrUndefined<RunJson>(runFile(runDir, 'run'));

export function writeRunJson(runDir: string, r: RunJson): void {
  writeFileAtomic(runFile(runDir, 'run'), `${JSON.stringify(r, null, 2)}\n`);
}

/** The commit the code runs at (short sha, `+dirty` when the tree has changes), if this is a git checkout. */
export function gitSha(): string | undefined {
  const cwd = REPO_ROOT;
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  try {
    const sha = git(['rev-parse', '--short=12', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) ? `${sha}+dirty` : sha;
  } catch {
    return undefined;
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
