// GFLOP/s of matmul shapes that dominate training, per backend configuration, each in its own Node process
// (tfjs settles the backend and the wasm thread count once per process).
// Run: node bin/run-ts.mjs bench/matmul.ts [--json] [--quick]
//   cpu           pure-JS backend (fewer reps: it is slow)
//   wasm-1 stock  tfjs-backend-wasm as shipped, 1 thread (Node default)
//   wasm-1 unir   initBackend: + unir's BatchMatMul/_FusedMatMul kernels, 1 thread
//   wasm-N unir   initBackend with os.availableParallelism() threads (the multithread shim)
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { runChild } from './lib/child';
import { matMulGflops, secondsPerCall } from './lib/measure';
import { formatTable } from './lib/table';

interface Case {
  id: string;
  label: string;
  batch: number;
  m: number;
  k: number;
  n: number;
  transposeA?: boolean;
  transposeB?: boolean;
  fused?: boolean;
}

const CASES: Case[] = [
  { id: 'mm1024', label: '1024³ A·B', batch: 1, m: 1024, k: 1024, n: 1024 },
  { id: 'mm1024tA', label: '1024³ Aᵀ·B (weight grad)', batch: 1, m: 1024, k: 1024, n: 1024, transposeA: true },
  { id: 'mm1024tB', label: '1024³ A·Bᵀ (input grad)', batch: 1, m: 1024, k: 1024, n: 1024, transposeB: true },
  { id: 'bmm512x32', label: '512 × (32×32 · 32×32)', batch: 512, m: 32, k: 32, n: 32 },
  { id: 'bmm64x128tB', label: '64 × (128×64 · (128×64)ᵀ) QKᵀ', batch: 64, m: 128, k: 64, n: 128, transposeB: true },
  {
    id: 'fused256tB',
    label: 'fused 256³ A·Bᵀ + bias, relu',
    batch: 1,
    m: 256,
    k: 256,
    n: 256,
    transposeB: true,
    fused: true,
  },
];

type Config = { id: string; label: string; backend: 'cpu' | 'wasm'; unir: boolean; threads: number };
const threadsN = Math.max(2, os.availableParallelism());
const CONFIGS: Config[] = [
  { id: 'cpu', label: 'cpu', backend: 'cpu', unir: false, threads: 1 },
  { id: 'wasm-1-stock', label: 'wasm 1 thread, stock kernels', backend: 'wasm', unir: false, threads: 1 },
  { id: 'wasm-1-unir', label: 'wasm 1 thread, unir kernels', backend: 'wasm', unir: true, threads: 1 },
  {
    id: `wasm-${threadsN}-unir`,
    label: `wasm ${threadsN} threads, unir kernels`,
    backend: 'wasm',
    unir: true,
    threads: threadsN,
  },
];

type Result = { config: string; threads: number; fallback?: string; gflops: Record<string, number> };

async function child(cfg: Config, quick: boolean): Promise<Result> {
  let threads = 1;
  let fallback: string | undefined;
  let dispose = async () => {};
  if (cfg.unir) {
    const { initBackend, disposeBackend } = await import('../src/core/backend');
    const info = await initBackend({ backend: cfg.backend, threads: cfg.threads, quiet: true });
    threads = info.threads;
    fallback = info.multithreadFallback;
    dispose = disposeBackend;
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend(cfg.backend);
    (tf.backend() as { firstUse?: boolean }).firstUse = false; // cpu's "install tfjs-node" banner
    dispose = async () => void tf.removeBackend(cfg.backend);
  }
  const slow = cfg.backend === 'cpu';
  const gflops: Record<string, number> = {};
  for (const c of CASES) {
    const aShape = c.transposeA ? [c.batch, c.k, c.m] : [c.batch, c.m, c.k];
    const bShape = c.transposeB ? [c.batch, c.n, c.k] : [c.batch, c.k, c.n];
    const a = tf.randomUniform(c.batch === 1 ? aShape.slice(1) : aShape, -1, 1);
    const b = tf.randomUniform(c.batch === 1 ? bShape.slice(1) : bShape, -1, 1);
    const bias = tf.randomUniform([c.n], -1, 1);
    const run = () => {
      const y = c.fused
        ? tf.fused.matMul({ a, b, transposeA: c.transposeA, transposeB: c.transposeB, bias, activation: 'relu' })
        : tf.matMul(a, b, c.transposeA, c.transposeB);
      y.dataSync();
      y.dispose();
    };
    const s = secondsPerCall(
      run,
      slow ? { minSeconds: 0, maxReps: 1, warmup: false } : { minSeconds: quick ? 0.3 : 1.5, maxReps: 30 },
    );
    gflops[c.id] = matMulGflops(c.batch, c.m, c.k, c.n, s);
    tf.dispose([a, b, bias]);
  }
  await dispose();
  return { config: cfg.id, threads, ...(fallback ? { fallback } : {}), gflops };
}

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
if (argv[0] === '--child') {
  const cfg = CONFIGS.find((c) => c.id === argv[1])!;
  console.log(JSON.stringify(await child(cfg, quick)));
} else {
  const self = fileURLToPath(import.meta.url);
  const results = CONFIGS.map((cfg) => runChild<Result>(self, ['--child', cfg.id, ...(quick ? ['--quick'] : [])]));
  if (argv.includes('--json')) console.log(JSON.stringify(results));
  else {
    console.log(`matmul GFLOP/s (higher is better), ${os.availableParallelism()} cores, tfjs ${tf.version_core}`);
    const header = [
      'case',
      ...CONFIGS.map((c, i) => `${c.label}${results[i]!.threads !== c.threads ? ` (ran ${results[i]!.threads})` : ''}`),
    ];
    console.log(
      formatTable(
        header,
        CASES.map((c) => [c.label, ...results.map((r) => r.gflops[c.id]!.toFixed(2))]),
      ),
    );
    for (const r of results) if (r.fallback) console.log(`${r.config}: ${r.fallback}`);
  }
}
