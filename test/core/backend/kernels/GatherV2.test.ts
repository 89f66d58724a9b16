import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../../src/core/backend';
import { speedWasmKernels } from '../../../../src/core/backend/kernels';
import { expectWasmMatchesCpu, randT, runOn, startWasmAndCpu, weightedSum } from '../oracle';

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

describe('GatherV2 on wasm (row-copy kernel for axis 0)', () => {
  it('is active after initBackend', () => {
    expect(speedWasmKernels()).toContain('GatherV2');
  });

  it('embedding-bag shaped gather (ids (B, T, G) flattened, repeats) and its gradient match cpu', async () => {
    const ids = Int32Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 7) % 11);
    await expectWasmMatchesCpu(() => {
      const table = randT(1, [11, 6]);
      const flat = tf.tensor1d(ids, 'int32');
      const { value, grads } = tf.valueAndGrads((t: tf.Tensor) =>
        weightedSum(tf.reshape(tf.gather(t, flat), [2, 3, 4, 6])),
      )([table]);
      return [tf.gather(table, flat), value, grads[0]!];
    });
  });

  it('2-D indices, int32 x, negative axis 0 of a 3-D x: values equal the rows (and cpu)', async () => {
    const f = () => [
      tf.gather(
        randT(2, [5, 2, 3]),
        tf.tensor2d(
          [
            [4, 0],
            [0, 2],
          ],
          [2, 2],
          'int32',
        ),
        -3,
      ),
      tf.gather(
        tf.tensor2d(
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          [3, 2],
          'int32',
        ),
        tf.tensor1d([2, 2, 0], 'int32'),
      ),
    ];
    await expectWasmMatchesCpu(f, 0);
    const w = await runOn('wasm', f);
    expect(Array.from(w.values[1]!)).toEqual([5, 6, 5, 6, 1, 2]);
  });

  it('other axes and out-of-range indices still go to the stock kernel (same values / error as cpu)', async () => {
    await expectWasmMatchesCpu(() => [tf.gather(randT(3, [3, 4, 2]), tf.tensor1d([3, 0, 1], 'int32'), 1)], 0);
    await tf.setBackend('wasm');
    expect(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 3], 'int32')).dataSync()).toThrow();
  });
});
