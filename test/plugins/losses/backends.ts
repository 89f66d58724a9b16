import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core's node bundle registers no gradients; tfjs-layers' bundle registers all of core's (global registry).
// TODO: use initBackend from src/core/backend once it exists.
import '@tensorflow/tfjs-layers';

/** Every loss and optimizer test runs on both backends: wasm is what trains, cpu is the reference. */
export const BACKENDS = ['cpu', 'wasm'] as const;

export async function useBackend(name: (typeof BACKENDS)[number]): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`backend ${name} did not initialise`);
}

/** Values of a tensor as float64 numbers. */
export const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** Seeded (B, D) rows of unit length, as plain numbers. */
export function unitRows(r: () => number, rows: number, dim: number): number[][] {
  return Array.from({ length: rows }, () => {
    const v = Array.from({ length: dim }, () => r() * 2 - 1);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
}

/** Central finite differences of a float64 function at x, coordinate by coordinate. */
export function numericGrad(f: (x: number[]) => number, x: readonly number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const up = x.slice();
    const down = x.slice();
    up[i]! += h;
    down[i]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

/**
 * Largest element-wise error relative to the scale of the expected vector:
 * max_i |actual_i - expected_i| / max(max_i |expected_i|, tiny). The tests hold it ≤ 1e-4.
 */
export function relError(actual: readonly number[], expected: readonly number[]): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  const scale = Math.max(1e-12, ...expected.map(Math.abs));
  return Math.max(0, ...actual.map((a, i) => Math.abs(a - expected[i]!))) / scale;
}
