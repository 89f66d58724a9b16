import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../../src/core/backend';
import { speedWasmKernels } from '../../../../src/core/backend/kernels';
import { splitLimits } from '../../../../src/core/backend/simd/pool';
import { rand, runOn, startWasmAndCpu } from '../oracle';

// Add.ts: float32 sums of one shape with at least splitLimits.elements values (the backward pass's gradient
// sums) run on unir's kernel; the oracle is the float32 sum of each pair of values.
beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

describe('Add on wasm (Add.ts)', () => {
  it('is active after initBackend', () => {
    expect(speedWasmKernels()).toContain('Add');
  });

  it('a large same-shape sum is the float32 sum of each pair, to the bit', async () => {
    const n = splitLimits.elements + 7; // a tail off the 4-lane block
    const [a, b] = [rand(1, n, -1e3, 1e3), rand(2, n, -1e-3, 1e-3)];
    const { values } = await runOn('wasm', () => [tf.add(tf.tensor2d(a, [1, n]), tf.tensor2d(b, [1, n]))]);
    const want = Float32Array.from(a, (x, i) => x + b[i]!);
    const got = values[0]!;
    const differ = want.findIndex((w, i) => !Object.is(w, got[i]));
    expect(differ, `first differing value at ${differ}: ${got[differ]} vs ${want[differ]}`).toBe(-1);
  });

  it('broadcasts, int32 and small sums (the stock kernel) stay right', async () => {
    const { values, shapes } = await runOn('wasm', () => [
      tf.add(tf.ones([splitLimits.elements, 2]), tf.tensor1d([1, 2])),
      tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([4, 5, 6], 'int32')),
      tf.add(tf.tensor1d([0.5, 1.5]), tf.tensor1d([2, 3])),
    ]);
    expect(shapes[0]).toEqual([splitLimits.elements, 2]);
    expect(Array.from(values[0]!.subarray(0, 4))).toEqual([2, 3, 2, 3]);
    expect(Array.from(values[1]!)).toEqual([5, 7, 9]);
    expect(Array.from(values[2]!)).toEqual([2.5, 4.5]);
  });
});
