import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../../src/core/backend';
import { expectWasmMatchesCpu, maxAbsDiff, rand, randT, runOn, startWasmAndCpu, weightedSum } from '../oracle';

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

const M = 5;
const K = 67; // over 48: the stock kernel's blocked loop splits it
const N = 9;

/** [aShape, bShape, gradients?] for a batch layout, before the transposes (tfjs has no matmul gradient that broadcasts). */
const LAYOUTS: Record<string, [number[], number[], boolean]> = {
  'batch 1 (2-D)': [[M, K], [K, N], true],
  'batch 1 (3-D)': [[1, M, K], [1, K, N], true],
  'batch 3': [[3, M, K], [3, K, N], true],
  'batch 3 against a shared 2-D right operand': [[3, M, K], [K, N], false],
  'a shared left operand (batch 1) against batch 3': [[1, M, K], [3, K, N], false],
  'batch (2, 3) against a shared right operand': [[2, 3, M, K], [1, 1, K, N], false],
};

const transposeLast = (s: number[]) => [...s.slice(0, -2), s.at(-1)!, s.at(-2)!];

describe('BatchMatMul on wasm (unir override)', () => {
  for (const [layout, [as, bs, withGrads]] of Object.entries(LAYOUTS)) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        it(`${layout}, transposeA=${tA}, transposeB=${tB}: product${withGrads ? ' and gradients' : ''} match cpu`, async () => {
          await expectWasmMatchesCpu(() => {
            const a = randT(1, tA ? transposeLast(as) : as);
            const b = randT(2, tB ? transposeLast(bs) : bs);
            if (!withGrads) return [tf.matMul(a, b, tA, tB)];
            const { value, grads } = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) =>
              weightedSum(tf.matMul(x, y, tA, tB)),
            )([a, b]);
            return [tf.matMul(a, b, tA, tB), value, ...grads];
          });
        });
      }
    }
  }

  /** out[i, j] = a[i, 0] @ b[0, j]: numpy broadcasting in float64 (cpu's kernel indexes batches modulo instead). */
  function broadcastOracle(a: Float32Array, b: Float32Array): number[] {
    const out: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        for (let r = 0; r < M; r++) {
          for (let c = 0; c < N; c++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += a[i * M * K + r * K + k]! * b[j * K * N + k * N + c]!;
            out.push(s);
          }
        }
      }
    }
    return out;
  }

  it('broadcasts batch (2, 1) against (1, 3) as numpy does', async () => {
    const a = rand(1, 2 * M * K);
    const b = rand(2, 3 * K * N);
    const w = await runOn('wasm', () => [tf.matMul(tf.tensor(a, [2, 1, M, K]), tf.tensor(b, [1, 3, K, N]))]);
    expect(w.shapes[0]).toEqual([2, 3, M, N]);
    expect(maxAbsDiff(w.values[0]!, broadcastOracle(a, b))).toBeLessThanOrEqual(1e-5);
  });

  it('an empty inner dimension gives zeros', async () => {
    const w = await runOn('wasm', () => [tf.matMul(tf.zeros([3, 4, 0]), tf.zeros([3, 0, 2]), false, false)]);
    expect(Array.from(w.values[0]!)).toEqual(new Array(24).fill(0));
  });
});
