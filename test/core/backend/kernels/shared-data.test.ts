import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../../src/core/backend';
import { speedWasmKernels } from '../../../../src/core/backend/kernels';
import { expectWasmMatchesCpu, randT, startWasmAndCpu, weightedSum } from '../oracle';

// Identity, same-dtype Cast and data-preserving Transpose share their input's data on wasm (Identity.ts,
// Cast.ts, Transpose.ts): outputs must still behave as independent immutable tensors.
beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

const memOf = (t: tf.Tensor) =>
  (tf.backend() as unknown as { dataIdMap: { get(d: object): { memoryOffset: number } } }).dataIdMap.get(t.dataId)!
    .memoryOffset;

describe('no-copy Identity / Cast / Transpose on wasm', () => {
  it('are active after initBackend', () => {
    expect(speedWasmKernels()).toEqual(expect.arrayContaining(['Identity', 'Cast', 'Transpose']));
  });

  it('clone, same-dtype cast and [0, 1] / (B, 1, N) transposes share memory; real casts and permutations copy', () => {
    const x = tf.tensor2d([
      [1.5, -2.5, 3],
      [4, 5, 6],
    ]);
    const row = tf.reshape(x, [2, 1, 3]);
    const outs = {
      clone: tf.clone(x),
      cast: tf.cast(x, 'float32'),
      same: tf.transpose(x, [0, 1]),
      moveUnit: tf.transpose(row, [0, 2, 1]),
    };
    for (const [k, t] of Object.entries(outs)) expect(memOf(t), k).toBe(memOf(x));
    expect(Array.from(outs.moveUnit.dataSync())).toEqual([1.5, -2.5, 3, 4, 5, 6]);
    expect(outs.moveUnit.shape).toEqual([2, 3, 1]);
    const real = { toInt: tf.cast(x, 'int32'), swap: tf.transpose(x) };
    expect(memOf(real.toInt)).not.toBe(memOf(x));
    expect(Array.from(real.toInt.dataSync())).toEqual([1, -2, 3, 4, 5, 6]);
    expect(Array.from(real.swap.dataSync())).toEqual([1.5, 4, -2.5, 5, 3, 6]);
    tf.dispose([x, row, ...Object.values(outs), ...Object.values(real)]);
  });

  it('a shared output outlives its input, and a variable clone keeps its values across assign', () => {
    const before = tf.memory().numTensors;
    const ids = tf.backend().numDataIds();
    const x = tf.tensor1d([1, 2, 3]);
    const c = tf.clone(x);
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
    const v = tf.tidy(() => tf.variable(tf.tensor1d([7, 8]), true, 'shared-data-test/v'));
    const snap = v.clone();
    tf.tidy(() => v.assign(tf.tensor1d([0, 0])));
    expect(Array.from(snap.dataSync())).toEqual([7, 8]);
    expect(Array.from(v.dataSync())).toEqual([0, 0]);
    tf.dispose([snap, v]);
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.backend().numDataIds()).toBe(ids);
  });

  it('gradients through ops that save their inputs and outputs (tanh, exp, layer-norm-like) match cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const x = randT(5, [4, 6]);
      const f = (t: tf.Tensor) => {
        const mu = tf.mean(t, -1, true);
        const d = tf.sub(t, mu);
        const n = tf.div(d, tf.sqrt(tf.add(tf.mean(tf.square(d), -1, true), 1e-5)));
        return weightedSum(
          tf.add(tf.tanh(n), tf.exp(tf.reshape(tf.transpose(tf.reshape(n, [4, 1, 6]), [0, 2, 1]), [4, 6]))),
        );
      };
      const { value, grads } = tf.valueAndGrads(f)([x]);
      return [value, grads[0]!];
    });
  });
});
