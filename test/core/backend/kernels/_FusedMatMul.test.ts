import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { disposeBackend } from '../../../../src/core/backend';
import { expectWasmMatchesCpu, randT, startWasmAndCpu, weightedSum } from '../oracle';

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

const M = 6;
const K = 64; // over 48: where the stock kernel's transposed/batched fused path goes wrong
const N = 7;
const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'leakyrelu', 'elu', 'prelu'] as const;

function fused(
  batch: number,
  tA: boolean,
  tB: boolean,
  activation: (typeof ACTIVATIONS)[number],
  biasShape = [N],
  alphaShape = [N],
) {
  const lead = batch === 1 ? [] : [batch];
  const a = tf.mul(randT(1, [...lead, ...(tA ? [K, M] : [M, K])]), 3); // × 3: values reach relu6's cap
  const b = randT(2, [...lead, ...(tB ? [N, K] : [K, N])]);
  const bias = randT(3, biasShape);
  const preluActivationWeights = activation === 'prelu' ? randT(4, alphaShape) : undefined;
  return { a, b, bias, transposeA: tA, transposeB: tB, activation, preluActivationWeights, leakyreluAlpha: 0.3 };
}

describe('_FusedMatMul on wasm (unir override)', () => {
  for (const batch of [1, 3]) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        it(`batch ${batch}, transposeA=${tA}, transposeB=${tB}: matmul + bias under every activation matches cpu`, async () => {
          await expectWasmMatchesCpu(() => ACTIVATIONS.map((act) => tf.fused.matMul(fused(batch, tA, tB, act))));
        });
      }
    }
  }

  it('a size-1 bias broadcasts (the stock XNNPACK path would read N values)', async () => {
    await expectWasmMatchesCpu(() => [tf.fused.matMul(fused(1, false, false, 'relu', [1]))]);
  });

  it('prelu weights of shape (M, 1) or (M, N) broadcast as numpy does (wasm reads them modulo their size)', async () => {
    await expectWasmMatchesCpu(() =>
      [1, 3].flatMap((batch) =>
        [
          [M, 1],
          [M, N],
          [1, N],
        ].map((alpha) => tf.fused.matMul(fused(batch, false, false, 'prelu', [N], alpha))),
      ),
    );
  });

  it('gradients through matmul + bias + relu match cpu, with transposes and a batch', async () => {
    await expectWasmMatchesCpu(() => {
      const args = fused(3, true, true, 'relu');
      const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => weightedSum(tf.fused.matMul({ ...args, a, b, bias }));
      const { value, grads } = tf.valueAndGrads(f)([args.a, args.b, args.bias]);
      return [value, ...grads];
    }, 3e-5); // value: a weighted sum of the whole output, where fused multiply-adds (relaxed SIMD) round once and cpu twice
  });
});
