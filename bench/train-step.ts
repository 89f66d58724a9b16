// Time of one full stage-3 training step (L_TI + a·L_QC + b·(intent-ce + slot-ce + mse-align), global-norm
// clip, AdamW) of the experiments' models (paper-three-stage, smoke) per backend configuration, each in its own
// Node process (tfjs settles the backend and the wasm thread count once per process).
// Run: node bin/run-ts.mjs bench/train-step.ts [--json] [--model paper|smoke] [--steps N] [--profile]
//   wasm-1   initBackend wasm, 1 thread (unir's kernels)
//   wasm-N   initBackend wasm, os.availableParallelism() threads ($UNIR_WASM_THREADS overrides N)
//   cpu      pure-JS backend: smoke model only (the paper model takes minutes per step there)
// Reported: median ms/step after warm-up steps, samples/s, GFLOP/s from the encoders' flops() (bench/lib/
// unir-step.ts: 3 × forward under the gradient tape + 1 × the no-gradient target), peak RSS of the child.
// --profile: per-kernel exclusive time of one extra step (bench/lib/kernel-profile.ts), top kernels on stderr.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { runChild } from './lib/child';
import { median } from './lib/measure';
import { formatTable } from './lib/table';
import { MODELS, type ModelName, type StepShape } from './lib/unir-step';

export interface TrainStepConfig {
  backend: 'wasm' | 'cpu';
  threads: number;
}
export interface TrainStepResult {
  model: ModelName;
  backend: string;
  threads: number;
  msPerStep: number; // median
  samplesPerSec: number;
  gflops: number;
  peakRssMb: number;
  steps: number;
  loss: number; // after the timed steps (finite: the step really trains)
  shape: StepShape;
  profile?: { kernel: string; ms: number; calls: number }[];
  skipped?: string;
}

/** A cpu-backend run is given this long (warm-up + 1 step), then reported as skipped. */
const CPU_LIMIT_MS = Number(process.env.UNIR_BENCH_CPU_LIMIT_MS) || 60_000;

export const allThreads = () => Number(process.env.UNIR_WASM_THREADS) || Math.max(2, os.availableParallelism());

export function defaultConfigs(model: ModelName): TrainStepConfig[] {
  const n = allThreads();
  const cfgs: TrainStepConfig[] = [{ backend: 'wasm', threads: 1 }];
  if (n > 1) cfgs.push({ backend: 'wasm', threads: n });
  if (model === 'smoke') cfgs.push({ backend: 'cpu', threads: 1 });
  return cfgs;
}

/** Child side: measure one (model, backend, threads). */
async function child(
  model: ModelName,
  cfg: TrainStepConfig,
  steps: number,
  warmup: number,
  profile: boolean,
): Promise<TrainStepResult> {
  const { initBackend, disposeBackend } = await import('../src/core/backend');
  const info = await initBackend({ backend: cfg.backend, threads: cfg.threads, quiet: true });
  const { buildUnirStep } = await import('./lib/unir-step');
  const bench = await buildUnirStep(model);
  const times: number[] = [];
  let loss = NaN;
  const budgetMs = cfg.backend === 'cpu' ? 120_000 : Infinity;
  let spent = 0;
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    loss = bench.step();
    const dt = performance.now() - t0;
    spent += dt;
    if (i >= warmup) times.push(dt);
    if (spent > budgetMs && times.length >= 1) break;
  }
  let prof: TrainStepResult['profile'];
  if (profile) {
    const { profileKernels } = await import('./lib/kernel-profile');
    prof = profileKernels(tf.getBackend(), () => void bench.step());
  }
  const ms = median(times);
  const shape = bench.shape;
  bench.dispose();
  await disposeBackend();
  return {
    model,
    backend: info.name,
    threads: info.threads,
    msPerStep: ms,
    samplesPerSec: shape.batch / (ms / 1000),
    gflops: shape.flopsPerStep / (ms / 1000) / 1e9,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    steps: times.length,
    loss,
    shape,
    profile: prof,
  };
}

export interface RunOptions {
  steps?: number;
  warmup?: number;
  profile?: boolean;
}

/**
 * Untimed steps before the timed ones (PyTorch gets as many): the smoke model's kernels and JS run too few times
 * in 2 steps for V8 to finish optimising them, in the worker threads even more so (measured: 18.8–21.7 ms at
 * 1 thread and 23–34 ms at 2 after 2 steps, 15.6–16.6 and 15.4–16.8 after 20).
 */
export const warmupSteps = (model: ModelName) => (model === 'paper' ? 2 : 20);

/**
 * Timed steps of the smoke model (PyTorch gets as many): a 15 ms step's median over 10 steps moved ±15 % between
 * runs (GC pauses land in a few of them); over 100 it settles within a few per cent.
 */
export const SMOKE_STEPS = 100;

/** Parent side: one child process per configuration. A cpu run of the paper model is skipped with a reason. */
export function runTrainStep(model: ModelName, cfg: TrainStepConfig, opts: RunOptions = {}): TrainStepResult {
  const steps = opts.steps ?? (model === 'paper' ? 5 : SMOKE_STEPS);
  const warmup = opts.warmup ?? warmupSteps(model);
  if (cfg.backend === 'cpu' && model !== 'smoke') {
    return {
      model,
      backend: 'cpu',
      threads: 1,
      skipped: 'cpu backend: the paper model takes minutes per step (FACTS.md: ≈ 60 s for a smaller model)',
    } as TrainStepResult;
  }
  const args = [
    '--child',
    model,
    cfg.backend,
    String(cfg.threads),
    String(cfg.backend === 'cpu' ? Math.min(steps, 3) : steps),
    String(cfg.backend === 'cpu' ? 1 : warmup),
  ];
  if (opts.profile) args.push('--profile');
  const limitMs = cfg.backend === 'cpu' ? CPU_LIMIT_MS : 900_000;
  try {
    return runChild<TrainStepResult>(
      fileURLToPath(import.meta.url),
      args,
      { UNIR_WASM_THREADS: String(cfg.threads) },
      limitMs,
    );
  } catch (e) {
    if (cfg.backend !== 'cpu') throw e;
    return {
      model,
      backend: 'cpu',
      threads: 1,
      skipped: `cpu backend: no result within ${CPU_LIMIT_MS / 1000} s (one smoke step took ≈ 250 s when measured)`,
    } as TrainStepResult;
  }
}

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    const [, model, backend, threads, steps, warmup] = argv;
    const r = await child(
      model as ModelName,
      { backend: backend as 'wasm' | 'cpu', threads: Number(threads) },
      Number(steps),
      Number(warmup),
      argv.includes('--profile'),
    );
    if (r.profile) {
      const total = r.profile.reduce((s, k) => s + k.ms, 0);
      process.stderr.write(
        `profile ${model} ${backend}-${r.threads}: ${total.toFixed(0)} ms in kernels\n` +
          formatTable(
            ['kernel', 'ms', 'calls', '%'],
            r.profile.slice(0, 20).map((k) => [k.kernel, fmt(k.ms), k.calls, fmt((100 * k.ms) / total)]),
          ) +
          '\n',
      );
    }
    console.log(JSON.stringify(r));
    return;
  }
  const json = argv.includes('--json');
  const only = argv.includes('--model')
    ? [argv[argv.indexOf('--model') + 1] as ModelName]
    : (Object.keys(MODELS) as ModelName[]);
  const steps = argv.includes('--steps') ? Number(argv[argv.indexOf('--steps') + 1]) : undefined;
  const rows: (string | number)[][] = [];
  for (const model of only) {
    for (const cfg of defaultConfigs(model)) {
      const r = runTrainStep(model, cfg, { steps, profile: argv.includes('--profile') });
      if (json) console.log(JSON.stringify({ ...r, shape: undefined, profile: undefined }));
      rows.push(
        r.skipped
          ? [model, cfg.backend, cfg.threads, 'skipped', r.skipped, '', '']
          : [
              model,
              r.backend,
              r.threads,
              fmt(r.msPerStep),
              fmt(r.samplesPerSec),
              fmt(r.gflops, 2),
              fmt(r.peakRssMb, 0),
            ],
      );
    }
  }
  if (!json)
    console.log(formatTable(['model', 'backend', 'threads', 'ms/step', 'samples/s', 'GFLOP/s', 'peak RSS MB'], rows));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
