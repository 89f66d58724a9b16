import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend, registerWasmKernels, restoreStockWasmKernels } from '../../../../src/core/backend';
import { speedWasmKernels } from '../../../../src/core/backend/kernels';
import { maxAbsDiff, randT, runOn, startWasmAndCpu } from '../oracle';

// Sum.ts: float32 sums over a run of axes that is not the last, as column sums in place. The stock kernel
// (transpose, then a sum from the first value down) is the oracle for the bits, the cpu backend for the values.
beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

const CASES: [number[], number | number[], boolean][] = [
  [[48, 24, 32], 0, false], // a position table's gradient: Σ over the batch
  [[6, 24, 32], 1, false], // Σ over the tokens of each row
  [[5, 7, 9], [0, 1], false],
  [[3, 4, 5, 6], [1, 2], true],
  [[3, 4, 5, 6], [-3, -2], false],
  [[130, 3], 0, true], // inner 3: the tail of a column sum
  [[1, 1, 8], 0, false],
  // the stock kernel's cases: the last axis, axes that are not consecutive, all axes
  [[5, 7, 9], 2, false],
  [[5, 7, 9], [0, 2], false],
  [[5, 7, 9], [0, 1, 2], false],
];
const inputs = () => CASES.map(([shape], i) => randT(40 + i, shape));
const sums = (xs: tf.Tensor[]) => CASES.map(([, axis, keep], i) => tf.sum(xs[i]!, axis, keep));

describe('Sum on wasm (Sum.ts)', () => {
  it('is active after initBackend', () => {
    expect(speedWasmKernels()).toContain('Sum');
  });

  it("gives the stock kernel's bits and the cpu backend's values, with its shapes", async () => {
    const ours = await runOn('wasm', () => sums(inputs()));
    restoreStockWasmKernels();
    try {
      await tf.setBackend('wasm');
      const stock = await runOn('wasm', () => sums(inputs()));
      ours.values.forEach((o, i) => {
        expect(ours.shapes[i], `case ${i}`).toEqual(stock.shapes[i]);
        expect(Buffer.from(o.buffer, o.byteOffset, o.byteLength), `case ${i}`).toEqual(
          Buffer.from(stock.values[i]!.buffer, stock.values[i]!.byteOffset, stock.values[i]!.byteLength),
        );
      });
    } finally {
      registerWasmKernels();
      await tf.setBackend('wasm');
    }
    const cpu = await runOn('cpu', () => sums(inputs()));
    ours.values.forEach((o, i) => {
      expect(ours.shapes[i], `case ${i}`).toEqual(cpu.shapes[i]);
      expect(maxAbsDiff(o, cpu.values[i]!), `case ${i}`).toBeLessThan(1e-4);
    });
  });

  it('int32 sums and gradients through a broadcast add stay right', async () => {
    const run = (b: 'wasm' | 'cpu') =>
      runOn(b, () => {
        const pos = randT(7, [5, 4]);
        const x = randT(8, [3, 5, 4]);
        const g = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.add(x, p), x)))(pos);
        return [g, tf.sum(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], 'int32'), 0)];
      });
    const [w, c] = [await run('wasm'), await run('cpu')];
    expect(maxAbsDiff(w.values[0]!, c.values[0]!)).toBeLessThan(1e-5);
    expect(Array.from(w.values[1]!)).toEqual([6, 8, 10, 12]);
  });
});
