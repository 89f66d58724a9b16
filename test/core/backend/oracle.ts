import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { initBackend } from '../../../src/core/backend';

/** Starts both backends quietly (cpu's "install tfjs-node" banner off), ending on single-thread wasm. */
export async function startWasmAndCpu(): Promise<void> {
  await initBackend({ backend: 'cpu', quiet: true });
  await initBackend({ backend: 'wasm', threads: 1, quiet: true });
}

/** Deterministic uniform values in [lo, hi) (mulberry32). */
export function rand(seed: number, n: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
  });
}

/** A tensor of `rand` values. */
export const randT = (seed: number, shape: number[]) => tf.tensor(rand(seed, tf.util.sizeFromShape(shape)), shape);

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

interface Outputs {
  shapes: number[][];
  values: Float32Array[];
}

/** Runs `f` on one backend; asserts it leaves no tensor behind, in the engine or in the backend's own storage. */
export async function runOn(backend: 'wasm' | 'cpu', f: () => tf.Tensor[]): Promise<Outputs> {
  await tf.setBackend(backend);
  const tensors = tf.memory().numTensors;
  const dataIds = tf.backend().numDataIds();
  const outs = tf.tidy(f);
  const result = { shapes: outs.map((t) => t.shape), values: outs.map((t) => t.dataSync() as Float32Array) };
  tf.dispose(outs);
  expect(tf.memory().numTensors).toBe(tensors);
  expect(tf.backend().numDataIds()).toBe(dataIds);
  return result;
}

/**
 * `f` (inputs built inside it from fixed values) gives the same outputs on wasm as on the cpu backend, to `tol`
 * max abs difference, with no leaks on either. Returns the largest difference seen.
 */
export async function expectWasmMatchesCpu(f: () => tf.Tensor[], tol = 1e-5): Promise<number> {
  const w = await runOn('wasm', f);
  const c = await runOn('cpu', f);
  await tf.setBackend('wasm');
  expect(w.shapes).toEqual(c.shapes);
  let worst = 0;
  w.values.forEach((v, i) => {
    const d = maxAbsDiff(v, c.values[i]!);
    worst = Math.max(worst, d);
    expect(d, `output ${i}`).toBeLessThanOrEqual(tol);
  });
  return worst;
}

/** Sum of f(inputs)·r for a fixed random r: a scalar loss whose gradient sends r back through f. */
export function weightedSum(y: tf.Tensor, seed = 99): tf.Scalar {
  return tf.sum(tf.mul(y, randT(seed, y.shape)));
}

/** Runs `onWasm` on wasm and `onCpu` (another formula for the same numbers) on cpu; asserts they agree to `tol`. */
export async function expectWasmMatchesCpuFormula(
  onWasm: () => tf.Tensor[],
  onCpu: () => tf.Tensor[],
  tol = 1e-5,
): Promise<void> {
  const w = await runOn('wasm', onWasm);
  const c = await runOn('cpu', onCpu);
  await tf.setBackend('wasm');
  expect(w.shapes).toEqual(c.shapes);
  w.values.forEach((v, i) => expect(maxAbsDiff(v, c.values[i]!), `output ${i}`).toBeLessThanOrEqual(tol));
}

/** A (FH, FW, C, M) filter with dilation d as the equivalent undilated one: d−1 zeros between taps. */
export function dilateFilter(w: tf.Tensor4D, d: number): tf.Tensor4D {
  const [fh, fw, c, m] = w.shape;
  const src = w.arraySync();
  const out = tf.buffer([(fh - 1) * d + 1, (fw - 1) * d + 1, c, m]);
  for (let i = 0; i < fh; i++)
    for (let j = 0; j < fw; j++)
      for (let k = 0; k < c; k++) for (let l = 0; l < m; l++) out.set(src[i]![j]![k]![l]!, i * d, j * d, k, l);
  return out.toTensor() as tf.Tensor4D;
}

/** The (FH, FW, C, M) taps at every d-th position of an undilated filter gradient. */
export function undilateFilter(w: tf.Tensor4D, d: number, fh: number, fw: number): tf.Tensor4D {
  return tf.stridedSlice(
    w,
    [0, 0, 0, 0],
    [(fh - 1) * d + 1, (fw - 1) * d + 1, w.shape[2], w.shape[3]],
    [d, d, 1, 1],
  ) as tf.Tensor4D;
}
