import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../src/core/backend';
import { fusedAttention, fusedEmbeddingBag, fusedGelu, fusedLayerNorm, fusedLinear } from '../../../src/core/nn/fused';
import { expectWasmMatchesCpuFormula, randT, runOn, startWasmAndCpu, weightedSum } from '../backend/oracle';

// The fused wasm ops (one SIMD pass each way) against the composed tfjs formulas they replace, run on the cpu
// backend: values and every gradient.
beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

function composedLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number) {
  const mu = tf.mean(x, -1, true);
  const xc = tf.sub(x, mu);
  return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps))), g), b);
}
const composedGelu = (x: tf.Tensor) =>
  tf.mul(x, tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), 2 * Math.sqrt(2 / Math.PI))));

describe('fused wasm ops match the composed formulas on cpu', () => {
  for (const [d, t] of [
    [128, 5],
    [7, 5],
    [128, 50], // 150 rows: dgamma / dbeta summed from 64-row chunks (64 + 64 + 22)
  ] as const) {
    // SIMD rows, and a 4-wide body + 3-lane tail
    it(`layer norm over D = ${d}, ${3 * t} rows: output and gradients for x, gamma, beta`, async () => {
      const run = (ln: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => () => {
        const [x, g, b] = [tf.mul(randT(1, [3, t, d]), 3), randT(2, [d]), randT(3, [d])];
        const { value, grads } = tf.valueAndGrads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) =>
          weightedSum(ln(xi, gi, bi)),
        )([x, g, b]);
        return [ln(x, g, b), value, ...grads];
      };
      await expectWasmMatchesCpuFormula(
        run((x, g, b) => fusedLayerNorm(x, g, b, 1e-5)!),
        run((x, g, b) => composedLayerNorm(x, g, b, 1e-5)),
        // float32 rounding of sums over the rows (the value sums 3·t·D outputs); a dropped 64-row chunk is off by ≫ 1
        t > 5 ? 3e-4 : 2e-5,
      );
    });
  }

  for (const bias of [true, false]) {
    it(`dense layer (B 2, T 5, in 13 → out 9)${bias ? ' with bias' : ''}: output and gradients for x, W${bias ? ', b' : ''}`, async () => {
      const run = (lin: (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => tf.Tensor) => () => {
        const [x, w, b] = [randT(6, [2, 5, 13]), randT(7, [13, 9]), randT(8, [9])];
        const args = bias ? [x, w, b] : [x, w];
        const { value, grads } = tf.valueAndGrads((...t: tf.Tensor[]) => weightedSum(lin(t[0]!, t[1]!, t[2])))(args);
        return [lin(x, w, bias ? b : undefined), value, ...grads];
      };
      const composed = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => {
        const y = tf.reshape(tf.matMul(tf.reshape(x, [-1, 13]), w), [2, 5, 9]);
        return b ? tf.add(y, b) : y;
      };
      await expectWasmMatchesCpuFormula(
        run((x, w, b) => fusedLinear(x, w, b)!),
        run(composed),
        2e-5,
      );
    });
  }

  for (const masked of [true, false]) {
    it(`attention core, 2 heads, cross (Tq 5, Tk 7)${masked ? ' with a key mask' : ''}: output and gradients for q, k, v`, async () => {
      const [b, tq, tk, h, dh] = [2, 5, 7, 2, 3];
      const run = (attn: (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, m?: tf.Tensor2D) => tf.Tensor) => () => {
        const [q, k, v] = [
          tf.mul(randT(9, [b, tq, h * dh]), 2),
          randT(10, [b, tk, h * dh]),
          randT(11, [b, tk, h * dh]),
        ] as tf.Tensor3D[];
        const m = masked
          ? tf.tensor2d([
              [1, 1, 1, 1, 1, 0, 0],
              [1, 0, 1, 1, 1, 1, 1],
            ])
          : undefined;
        const { value, grads } = tf.valueAndGrads((...t: tf.Tensor[]) =>
          weightedSum(attn(t[0] as tf.Tensor3D, t[1] as tf.Tensor3D, t[2] as tf.Tensor3D, m)),
        )([q!, k!, v!]);
        return [attn(q!, k!, v!, m), value, ...grads];
      };
      const composed = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, m?: tf.Tensor2D) => {
        const split = (t: tf.Tensor, len: number) =>
          tf.reshape(tf.transpose(tf.reshape(t, [b, len, h, dh]), [0, 2, 1, 3]), [b * h, len, dh]) as tf.Tensor3D;
        let s: tf.Tensor = tf.matMul(split(tf.mul(q, 1 / Math.sqrt(dh)), tq), split(k, tk), false, true);
        if (m)
          s = tf.reshape(tf.add(tf.reshape(s, [b, h, tq, tk]), tf.reshape(tf.mul(tf.sub(1, m), -1e9), [b, 1, 1, tk])), [
            b * h,
            tq,
            tk,
          ]);
        const ctx = tf.matMul(tf.softmax(s), split(v, tk));
        return tf.reshape(tf.transpose(tf.reshape(ctx, [b, h, tq, dh]), [0, 2, 1, 3]), [b, tq, h * dh]);
      };
      await expectWasmMatchesCpuFormula(
        run((q, k, v, m) => fusedAttention(q, k, v, h, m)!),
        run(composed),
        2e-5,
      );
    });
  }

  it('GELU over 2·3·7 values from -9 to 9 (tail lanes, saturated sigmoid): output and gradient', async () => {
    const run = (f: (x: tf.Tensor) => tf.Tensor) => () => {
      const x = tf.mul(randT(4, [2, 3, 7]), 9);
      const { value, grads } = tf.valueAndGrads((xi: tf.Tensor) => weightedSum(f(xi)))([x]);
      return [f(x), value, grads[0]!];
    };
    await expectWasmMatchesCpuFormula(
      run((x) => fusedGelu(x)!),
      run(composedGelu),
      2e-5,
    );
  });

  it('embedding bag with pad pieces: output and the table gradient (pad row gets none)', async () => {
    const ids = tf.tensor3d(
      Int32Array.from({ length: 2 * 3 * 4 }, (_, i) => (i % 5 === 0 ? 0 : (i * 7) % 11)),
      [2, 3, 4],
      'int32',
    );
    const idv = ids.dataSync().slice();
    ids.dispose();
    const run = (bag: (t: tf.Tensor2D, ids: tf.Tensor3D) => tf.Tensor) => () => {
      const table = randT(5, [11, 6]) as tf.Tensor2D;
      const i3 = tf.tensor3d(idv, [2, 3, 4], 'int32');
      const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => weightedSum(bag(t as tf.Tensor2D, i3)))([table]);
      return [bag(table, i3), value, grads[0]!];
    };
    const composed = (t: tf.Tensor2D, i3: tf.Tensor3D) => {
      const flat = tf.reshape(i3, [-1]);
      const keep = tf.expandDims(tf.cast(tf.notEqual(flat, 0), 'float32'), 1);
      return tf.sum(tf.reshape(tf.mul(tf.gather(t, flat), keep), [2, 3, 4, 6]), 2);
    };
    await expectWasmMatchesCpuFormula(
      run((t, i3) => fusedEmbeddingBag(t, i3, 0)!),
      run(composed),
      1e-5,
    );
    const w = await runOn(
      'wasm',
      run((t, i3) => fusedEmbeddingBag(t, i3, 0)!),
    );
    expect(Array.from(w.values[2]!.slice(0, 6))).toEqual([0, 0, 0, 0, 0, 0]); // row 0 = pad
  });

  it('no denormals out of exp-born values: GELU of very negative x is exactly 0, peaked attention has no sub-1e-30 outputs', async () => {
    // wasm runs without flush-to-zero; one denormal operand makes an x86 multiply ≈ 100× slower (a real run's
    // steps went 10× slower when the sigmoid clamp produced them), so the kernels flush them (kernels.c ftz).
    const isDenormal = (x: number) => x !== 0 && Math.abs(x) < 1.1754944e-38;
    const w = await runOn('wasm', () => {
      const x = tf.linspace(-120, 0, 97);
      const q = tf.mul(randT(12, [1, 4, 8]), 60); // scores spread over hundreds: most probabilities underflow
      const kv = randT(13, [1, 6, 8]);
      const { grads } = tf.valueAndGrads((t: tf.Tensor) => weightedSum(fusedGelu(t)!))([x]);
      return [fusedGelu(x)!, grads[0]!, fusedAttention(q as tf.Tensor3D, kv as tf.Tensor3D, kv as tf.Tensor3D, 2)!];
    });
    for (const v of w.values) expect(Array.from(v).filter(isDenormal)).toEqual([]);
    expect(Array.from(w.values[0]!.slice(0, 40)).every((y) => y === 0)).toBe(true); // x ≤ -70: σ(2u) underflows to 0
  });

  it('fall back (null) off wasm, for other dtypes, and for an out-of-range id', async () => {
    await tf.setBackend('cpu');
    tf.tidy(() => {
      expect(fusedGelu(tf.ones([4]))).toBeNull();
    });
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      expect(
        fusedEmbeddingBag(tf.ones([3, 2]) as tf.Tensor2D, tf.tensor3d([[[0, 5]]], [1, 1, 2], 'int32'), 0),
      ).toBeNull();
      expect(fusedGelu(tf.ones([4], 'int32'))).toBeNull();
      expect(fusedLinear(tf.ones([2, 1024]), tf.ones([1024, 256]))).toBeNull(); // large W: tf.matMul
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
