import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../../src/core/backend';
import { speedWasmKernels } from '../../../../src/core/backend/kernels';
import { expectWasmMatchesCpu, randT, startWasmAndCpu, weightedSum } from '../oracle';

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

describe('SplitV on wasm (block copies)', () => {
  it('is active after initBackend', () => {
    expect(speedWasmKernels()).toContain('SplitV');
  });

  it('splits along every axis of a 3-D tensor, by sizes and by count, with the gradient (concat): equal to cpu', async () => {
    const worst = await expectWasmMatchesCpu(() => {
      const x = randT(3, [5, 6, 4]);
      const outs: tf.Tensor[] = [];
      for (const [axis, split] of [
        [0, [2, 0, 3]],
        [1, [1, 4, 1]],
        [2, 2],
        [-1, [3, 1]],
        [0, [4, 1]],
      ] as [number, number | number[]][])
        outs.push(...tf.split(x, split, axis));
      const g = tf.grad((xi: tf.Tensor) => tf.addN(tf.split(xi, [1, 3, 2], 1).map((p, i) => weightedSum(p, 10 + i))))(
        x,
      );
      return [...outs, g];
    }, 0);
    expect(worst).toBe(0);
  });

  it('copies int32 values exactly (ids past 2^24) and leaves bool to the stock kernel', async () => {
    const big = Int32Array.from({ length: 12 }, (_, i) => 16_777_217 + i * 3);
    await expectWasmMatchesCpu(() => {
      const [a, b] = tf.split(tf.tensor2d(big, [4, 3], 'int32'), [1, 3], 0);
      const [c, d] = tf.split(tf.tensor2d([1, 0, 1, 1, 0, 0], [2, 3], 'bool'), [2, 1], 1);
      expect(Array.from(b!.dataSync())).toEqual(Array.from(big.slice(3)));
      return [a!, b!, tf.cast(c!, 'float32'), tf.cast(d!, 'float32')];
    }, 0);
  });
});
