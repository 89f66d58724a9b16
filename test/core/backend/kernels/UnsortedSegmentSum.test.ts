import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../../src/core/backend';
import { expectWasmMatchesCpu, randT, runOn, startWasmAndCpu, weightedSum } from '../oracle';

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

describe('UnsortedSegmentSum on wasm (gradient of gather)', () => {
  it('is registered by unir because wasm 4.22 lacks it', () => {
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  });

  it('embedding lookup with repeated ids: loss and table gradient match cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const table = randT(1, [7, 5]);
      const ids = tf.tensor1d([1, 3, 3, 0, 6, 1, 1], 'int32');
      const loss = (t: tf.Tensor) => weightedSum(tf.gather(t, ids));
      const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => loss(t))([table]);
      return [value, grads[0]!];
    });
  });

  it('a (batch, tokens) id matrix and a gather on axis 1 match cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const table = randT(2, [9, 4]);
      const ids = tf.tensor2d(
        [
          [0, 8, 8, 2],
          [2, 2, 5, 0],
        ],
        [2, 4],
        'int32',
      );
      const x = randT(3, [3, 6, 2]);
      const cols = tf.tensor1d([5, 0, 5, 2], 'int32');
      const g = tf.grads((t: tf.Tensor, u: tf.Tensor) =>
        tf.add(weightedSum(tf.gather(t, ids), 4), weightedSum(tf.gather(u, cols, 1), 5)),
      );
      return g([table, x]);
    });
  });

  it('sums rows by segment and drops ids outside [0, numSegments), as cpu does', async () => {
    const f = () => [tf.unsortedSegmentSum(randT(6, [6, 3]), tf.tensor1d([0, 2, 2, -1, 5, 1], 'int32'), 4)];
    await expectWasmMatchesCpu(f);
    const w = await runOn('wasm', f);
    const x = randT(6, [6, 3]).arraySync() as number[][];
    const want = [x[0]!, x[5]!, x[1]!.map((v, j) => v + x[2]![j]!), [0, 0, 0]].flat();
    expect(Array.from(w.values[0]!)).toEqual(want.map((v) => Math.fround(v)));
  });
});
