import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { disposeBackend, initBackend } from '../../../src/core/backend';
import { prepareThreadShim } from '../../../src/core/backend/wasm-threads';
import {
  fanOut,
  gemmThreads,
  jobsTakenBack,
  type PoolOp,
  setSplitLimits,
  splitLimits,
} from '../../../src/core/backend/simd/pool';
import { simdKernels } from '../../../src/core/backend/simd/simd-kernels';
import { asWasm, ptr } from '../../../src/core/backend/wasm-heap';
import { dotsF64 } from '../../../src/core/backend/dots-f64';
import { rowScores } from '../../../src/core/index/row-scores';
import { fusedAttention, fusedEmbeddingBag, fusedLayerNorm } from '../../../src/core/nn/fused';
import { conv2d, convBlocking, maxPool2 } from '../../../src/core/nn/conv';
import { linear } from '../../../src/core/nn/ops';
import { AdamW } from '../../../src/core/optim';
import { maxAbsDiff, rand, randT, runOn, weightedSum } from './oracle';

afterEach(() => {
  setSplitLimits();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});
afterAll(disposeBackend);

/** f's tensors with the blocked convolution's scratch at `floats` floats a thread. */
function inBlocksOf(floats: number, f: () => tf.Tensor[]): tf.Tensor[] {
  const saved = convBlocking.scratchFloats;
  convBlocking.scratchFloats = floats;
  try {
    return f();
  } finally {
    convBlocking.scratchFloats = saved;
  }
}

/** Products through every matmul path (XNNPACK, transposed, batched slices, fused) and a conv filter gradient. */
function workload(): Float32Array[] {
  // AdamW over 300·300 parameters (split across threads from 65,536 up), one step
  const v = tf.tidy(() => tf.variable(randT(11, [300, 300]), true, 'threads-test/w'));
  const opt = new AdamW({ weightDecay: 0.1 });
  const g = randT(12, [300, 300]);
  opt.step({ [v.name]: g }, 0.01, 0.5);
  const stepped = v.dataSync() as Float32Array;
  tf.dispose([g, v]);
  opt.dispose();
  return [
    stepped,
    ...tf.tidy(() => {
      const a = randT(1, [96, 80]);
      const b = randT(2, [80, 72]);
      const q = randT(3, [4, 16, 24]);
      const x = randT(4, [2, 9, 9, 3]) as tf.Tensor4D;
      const w = randT(5, [3, 3, 3, 8]) as tf.Tensor4D;
      const outs = [
        tf.matMul(a, b),
        tf.matMul(a, a, true, false),
        tf.matMul(q, q, false, true),
        tf.fused.matMul({ a: b, b: a, transposeA: true, transposeB: true, bias: randT(6, [96]), activation: 'relu' }),
        tf.grad((f: tf.Tensor) => weightedSum(tf.conv2d(x, f as tf.Tensor4D, 2, 'same')))(w),
        // fused ops on unir's gemm: a dense layer with its three gradients, batched attention slices
        ...tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => weightedSum(linear(xi, wi as tf.Tensor2D, bi)))([
          a,
          b,
          randT(7, [72]),
        ]),
        fusedAttention(
          randT(8, [6, 20, 32]) as tf.Tensor3D,
          randT(9, [6, 24, 32]) as tf.Tensor3D,
          randT(10, [6, 24, 32]) as tf.Tensor3D,
          2,
        )!,
        // the fused conv (im2col, bias + ReLU, col2im split by image) and max pooling, with their gradients
        ...tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
          weightedSum(maxPool2(conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, bi, { relu: true }))),
        )([randT(13, [6, 12, 12, 8]), randT(14, [3, 3, 8, 16]), randT(15, [16])]),
        // the blocked convolution in blocks of 5 pixels, split by images, its dw by rows of the window (81: the
        // second part ends off the 8-row tile), 10 output channels (the products' scalar tail)
        ...inBlocksOf(5 * 81, () =>
          tf.grads((xi: tf.Tensor, wi: tf.Tensor) => weightedSum(conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D)))([
            randT(29, [4, 7, 9, 9]),
            randT(30, [3, 3, 9, 10]),
          ]),
        ),
      ];
      return outs.map((t) => t.dataSync() as Float32Array);
    }),
    // layer norm (by rows; dgamma / dbeta from fixed 64-row chunks) and the embedding bag (forward by rows,
    // gradient by vocabulary range), with their gradients
    ...tf.tidy(() =>
      tf
        .grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => weightedSum(fusedLayerNorm(xi, gi, bi, 1e-5)!))([
          randT(18, [600, 64]),
          randT(19, [64]),
          randT(20, [64]),
        ])
        .map((t) => t.dataSync() as Float32Array),
    ),
    tf.tidy(() => {
      const ids = tf.tensor3d(
        Int32Array.from({ length: 800 * 3 }, (_, i) => (i * 7919) % 3001),
        [1, 800, 3],
        'int32',
      ); // 3001 ids: one of them (3000) is the pad
      return tf
        .grad((t: tf.Tensor) => weightedSum(fusedEmbeddingBag(t as tf.Tensor2D, ids, 3000)!))(randT(21, [3001, 16]))
        .dataSync() as Float32Array;
    }),
    // exact-index scores: 20,003 rows (split across the threads from 16,384), a width off the 4-lane block
    tf.tidy(() => rowScores(randT(16, [20003, 36]) as tf.Tensor2D, randT(17, [36]).dataSync() as Float32Array)),
    // float64 dot products (pixel-knn), split by rows of a; their bits as 16-bit pieces (exact in float32)
    Float32Array.from(
      new Uint16Array(
        dotsF64(Float64Array.from(rand(27, 64 * 70)), Float64Array.from(rand(28, 9 * 70)), 64, 9, 70).buffer,
      ),
    ),
    // a gradient sum of one shape (Add.ts, split by elements), a width off the 4-lane block
    tf.tidy(() => tf.add(randT(22, [300, 201]), randT(23, [300, 201])).dataSync() as Float32Array),
    // a dense layer wide enough for its bias pass to be split by rows and its bias gradient by column ranges (130
    // columns: the second range ends in kernels.c's scalar tail)
    ...tf.tidy(() => {
      const args = [randT(24, [700, 60]), randT(25, [60, 130]), randT(26, [130])] as const;
      const f = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => linear(xi, wi as tf.Tensor2D, bi);
      return [f(...args), ...tf.grads((xi, wi, bi) => weightedSum(f(xi, wi, bi)))([...args])].map(
        (t) => t.dataSync() as Float32Array,
      );
    }),
    // products whose right operand has ≥ 2^18 floats (an evaluation's scores against every item, a wide dense layer):
    // unir's gemm on any thread count, plain and with a fused bias and activation
    ...tf.tidy(() => {
      const [q, items] = [randT(29, [40, 128]), randT(30, [128, 2100])];
      return [
        tf.matMul(q, items),
        tf.fused.matMul({ a: q, b: items, bias: randT(31, [2100]), activation: 'relu' }),
      ].map((t) => t.dataSync() as Float32Array);
    }),
  ];
}

/** Every workload output the same to the bit. */
const expectSameBits = (a: Float32Array[], b: Float32Array[]) =>
  a.forEach((v, i) => expect(Array.from(v), `output ${i}`).toEqual(Array.from(b[i]!)));

describe('multithreaded wasm', () => {
  it('runs on 2 threads and computes what 1 thread computes, and what the cpu backend computes across K blocks', async () => {
    // No silent skip: the threaded build must start on every machine this suite runs on (Node ≥ 20 has
    // SharedArrayBuffer and the shim pins tfjs-backend-wasm 4.22.0); if it does not, this fails with the reason.
    const info = await initBackend({ backend: 'wasm', threads: 2, quiet: true });
    expect(
      info.multithreadFallback,
      'the threaded wasm build did not start, so the gemm pool is untested',
    ).toBeUndefined();
    expect(info.threads).toBe(2);
    expect(gemmThreads(asWasm(tf.backend()))).toBe(2); // unir's gemm pool is up when initBackend returns
    // split the small work below as well (the default limits keep work this small on one thread)
    setSplitLimits({ macs: 1 << 16, elements: 1 << 15 });
    // products with K past the gemm's K block (256), split by rows across the threads, against the cpu backend
    const blocked = () => [
      tf.matMul(randT(20, [40, 300]), randT(21, [300, 24])),
      tf.matMul(randT(22, [300, 36]), randT(23, [300, 20]), true, false),
    ];
    const onThreads = await runOn('wasm', blocked);
    const onCpu = await runOn('cpu', blocked);
    await tf.setBackend('wasm');
    // float32 sums of 300 products in another order: ≈ 1e-5; one dropped K block would be off by ≈ 5
    onThreads.values.forEach((v, i) =>
      expect(maxAbsDiff(v, onCpu.values[i]!), `K = 300 product ${i}`).toBeLessThanOrEqual(3e-4),
    );
    const threaded = workload();
    await disposeBackend();
    expect((await initBackend({ backend: 'wasm', threads: 1, quiet: true })).threads).toBe(1);
    const single = workload();
    threaded.forEach((v, i) => expect(maxAbsDiff(v, single[i]!), `output ${i}`).toBeLessThanOrEqual(1e-5));
    // the pool splits rows and batches, it never reorders a sum, and every product takes unir's gemm on any thread
    // count: every output is bit-identical
    expectSameBits(threaded, single);
  });

  it('shares smaller work while its workers still spin after a job, and only the configured sizes once they sleep', async () => {
    expect((await initBackend({ backend: 'wasm', threads: 2, quiet: true })).threads).toBe(2);
    const sleep = () => new Promise((ok) => setTimeout(ok, 5)); // > the 1 ms the limits stay lowered
    await sleep();
    const cold = { ...splitLimits };
    expect(cold).toEqual({ macs: 1 << 22, elements: 1 << 18 });
    const [a, b] = [randT(30, [cold.elements + 4]), randT(31, [cold.elements + 4])];
    const sum = tf.add(a, b); // split across the threads (Add.ts): a hand-off
    const hot = { ...splitLimits };
    expect(hot.macs).toBeLessThan(cold.macs);
    expect(hot.elements).toBeLessThan(cold.elements);
    await sleep();
    expect({ ...splitLimits }).toEqual(cold);
    // configured limits below the lowered ones (tests splitting tiny work) stay in force either way
    setSplitLimits({ macs: 1, elements: 1 });
    tf.dispose(tf.add(a, b));
    expect({ ...splitLimits }).toEqual({ macs: 1, elements: 1 });
    tf.dispose([a, b, sum]);
    await disposeBackend();
  });

  it('a kernel that traps on a worker fails the job with a one-line error and stops the pool (no 2-minute stall)', async () => {
    const info = await initBackend({ backend: 'wasm', threads: 2, quiet: true });
    expect(info.threads).toBe(2);
    const be = asWasm(tf.backend());
    const t0 = Date.now();
    // a pointer far past the heap: the worker's gemm traps (memory access out of bounds)
    expect(() => fanOut([{ op: 'gemm', args: [2 ** 31, 1, 1, 2 ** 31, 1, 2 ** 31, 1, 4, 4, 4] }], () => {})).toThrow(
      "unir gemm pool: kernel gemm failed on a worker thread (a wasm trap, or the native gemm's heap check); set UNIR_WASM_THREADS=1 to train on one thread",
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(gemmThreads(be)).toBe(1);
    expect(tf.tidy(() => Array.from(tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync()))).toEqual([3, 3, 3, 3]);
    await disposeBackend();
  });

  it('a job its worker has not started is run on the calling thread, once; the worker stays in step; same bits', async () => {
    vi.stubEnv('UNIR_WASM_CLAIM_PAUSE_MS', '30'); // the worker is descheduled 30 ms before it claims each job
    await disposeBackend();
    expect((await initBackend({ backend: 'wasm', threads: 2, quiet: true })).threads).toBe(2);
    const be = asWasm(tf.backend());
    const kern = simdKernels(be);
    const run = (op: PoolOp, args: number[]) =>
      (kern as unknown as Record<PoolOp, (...a: number[]) => void>)[op](...args);
    const [n, half] = [4096, 2048];
    const x = randT(40, [n]);
    const y = tf.zeros([n]);
    const [px, py] = [ptr(be, x), ptr(be, y)];
    const xs = Array.from(x.dataSync());
    // y += x in place, in two halves: a half run twice would leave 2x there
    const jobs = () => [{ op: 'vadd' as const, args: [py + 4 * half, px + 4 * half, py + 4 * half, half] }];
    const here = () => kern.vadd(py, px, py, half);
    const taken = jobsTakenBack();
    fanOut(jobs(), here, run); // the worker is paused: its half is taken back
    expect(jobsTakenBack()).toBe(taken + 1);
    expect(Array.from(y.dataSync())).toEqual(xs);
    await new Promise((ok) => setTimeout(ok, 60)); // the worker claims, finds the job taken, leaves it
    expect(Array.from(y.dataSync())).toEqual(xs);
    fanOut(jobs(), here); // no runner: the worker's half is waited for, and run once
    expect(jobsTakenBack()).toBe(taken + 1);
    expect(Array.from(y.dataSync())).toEqual(xs.map((v) => v + v));
    tf.dispose([x, y]);
    // every shared kernel with its workers' parts run here (the pause outlasts each part on this thread)
    setSplitLimits({ macs: 1 << 16, elements: 1 << 15 });
    const before = jobsTakenBack();
    const threaded = workload();
    expect(jobsTakenBack() - before).toBeGreaterThan(20);
    await disposeBackend();
    vi.unstubAllEnvs();
    expect((await initBackend({ backend: 'wasm', threads: 1, quiet: true })).threads).toBe(1);
    const single = workload();
    expectSameBits(threaded, single);
    await disposeBackend();
  });

  it('after disposeBackend, a wasm start by tfjs itself (no shim) is single-threaded and works', async () => {
    await initBackend({ backend: 'wasm', threads: 2, quiet: true });
    await disposeBackend();
    await tf.ready(); // tfjs starts its highest-priority backend: wasm
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.tidy(() => Array.from(tf.matMul(tf.ones([2, 3]), tf.ones([2, 3]), false, true).dataSync()))).toEqual([
      3, 3, 3, 3,
    ]);
    expect(tfWasm.getThreadsCount()).toBe(1);
    await disposeBackend();
  });

  it('falls back to 1 thread with a one-line notice when the shim cannot write its scripts', async () => {
    await disposeBackend();
    vi.stubEnv('UNIR_CACHE_DIR', '/dev/null/unir-cache');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const info = await initBackend({ backend: 'wasm', threads: 2 });
    expect(info.threads).toBe(1);
    expect(info.multithreadFallback).toMatch(
      /^cannot write the worker scripts to \/dev\/null\/unir-cache\/wasm-4\.22\.0 \(.*\); set UNIR_CACHE_DIR; wasm runs on 1 thread/,
    );
    expect(warn.mock.calls).toEqual([[`unir: wasm threads: ${info.multithreadFallback}`]]);
    await disposeBackend();
    warn.mockClear();
    expect((await initBackend({ backend: 'wasm', threads: 2, quiet: true })).multithreadFallback).toMatch(
      /cannot write/,
    );
    expect(warn).not.toHaveBeenCalled();
  });

  it('refuses to patch another tfjs-backend-wasm version', () => {
    expect(prepareThreadShim(2, '4.23.0')).toEqual({
      ok: false,
      reason: "@tensorflow/tfjs-backend-wasm is 4.23.0, unir's thread shim is written for 4.22.0",
    });
  });

  it('threads start when UNIR_CACHE_DIR lies inside a "type": "module" package (the scripts are .cjs)', () => {
    const cache = mkdtempSync(join(resolve(__dirname, '../../..'), '.cache-threads-')); // under this repo's package.json
    const script = join(cache, 'child.mjs');
    const backend = resolve(__dirname, '../../../src/core/backend/index.ts');
    writeFileSync(
      script,
      `const { initBackend, disposeBackend } = await import(${JSON.stringify(backend)});
const info = await initBackend({ backend: 'wasm', threads: 2, quiet: true });
await disposeBackend();
console.log(JSON.stringify(info));\n`,
    );
    try {
      const r = spawnSync(process.execPath, [resolve(__dirname, '../../../bin/run-ts.mjs'), script], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, UNIR_CACHE_DIR: cache, UNIR_WASM_THREADS: '2' },
      });
      expect(r.status, r.stderr.slice(-500)).toBe(0);
      const info = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { threads: number; multithreadFallback?: string };
      expect(info.multithreadFallback).toBeUndefined();
      expect(info.threads).toBe(2);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('a process stopped and resumed (Ctrl-Z, SIGSTOP) longer than the stall limit goes on: the pause is not a stall', async () => {
    mkdirSync(resolve(__dirname, '../../../.cache'), { recursive: true });
    const dir = mkdtempSync(resolve(__dirname, '../../../.cache/threads-stop-')); // resolves the repo's packages
    const script = join(dir, 'child.mjs');
    const src = (f: string) => JSON.stringify(resolve(__dirname, '../../../src/core/backend', f));
    // the main thread only waits (its own part is empty) while a worker runs a 512³ product, job after job
    writeFileSync(
      script,
      `const tf = await import('@tensorflow/tfjs-core');
const { initBackend } = await import(${src('index.ts')});
const { fanOut } = await import(${src('simd/pool.ts')});
const { asWasm, ptr } = await import(${src('wasm-heap.ts')});
await initBackend({ backend: 'wasm', threads: 2, quiet: true });
const n = 512;
const [a, b, c] = [tf.ones([n, n]), tf.ones([n, n]), tf.zeros([n, n])];
const be = asWasm(tf.backend());
const args = [ptr(be, a), n, 1, ptr(be, b), n, ptr(be, c), n, n, n, n];
const t0 = Date.now();
console.log('started');
while (Date.now() - t0 < 6000) fanOut([{ op: 'gemm', args }], () => {});
console.log('ok', c.dataSync()[0]);
process.exit(0);
`,
    );
    try {
      const { spawn } = await import('node:child_process');
      const child = spawn(process.execPath, [resolve(__dirname, '../../../bin/run-ts.mjs'), script], {
        env: { ...process.env, UNIR_WASM_STALL_MS: '1500' },
      });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d));
      const exited = new Promise<number | null>((r) => child.on('exit', r));
      await Promise.race([
        exited,
        new Promise<void>((ok) =>
          child.stdout.on('data', (d: Buffer) => {
            out += d;
            if (out.includes('started')) ok();
          }),
        ),
      ]);
      expect(out, err).toContain('started');
      await new Promise((r) => setTimeout(r, 1000));
      child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 3000)); // twice the stall limit
      child.kill('SIGCONT');
      const code = await exited;
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(out).toMatch(/ok 512/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a Node process with wasm threads exits, with or without disposeBackend', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unir-threads-'));
    const script = join(dir, 'child.mjs');
    const backend = resolve(__dirname, '../../../src/core/backend/index.ts');
    writeFileSync(
      script,
      `const { initBackend, disposeBackend } = await import(${JSON.stringify(backend)});
const info = await initBackend({ backend: 'wasm', threads: 2, quiet: true });
if (process.argv[2] === 'dispose') await disposeBackend();
console.log(JSON.stringify(info));\n`,
    );
    try {
      for (const mode of ['dispose', 'keep']) {
        const r = spawnSync(process.execPath, [resolve(__dirname, '../../../bin/run-ts.mjs'), script, mode], {
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(r.signal, `${mode}: ${r.stderr}`).toBeNull();
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ name: 'wasm', simd: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
