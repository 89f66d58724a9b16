import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../src/core/backend';
import { conv2d, convBlocking, maxPool2 } from '../../../src/core/nn/conv';
import { expectWasmMatchesCpuFormula, randT, startWasmAndCpu, weightedSum } from '../backend/oracle';

// The fused wasm convolution (im2col + SIMD gemm + bias/ReLU, or blocked, hand-written backward) and 2×2 max
// pooling against tfjs's own conv2d / maxPool composed on the cpu backend: outputs and every gradient.
beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

const composedConv = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor | undefined, stride: 1 | 2, relu: boolean) => {
  let y: tf.Tensor4D = tf.conv2d(x, w, stride, 'same');
  if (b) y = tf.add(y, b);
  return relu ? tf.relu(y) : y;
};

/** The most bytes tfjs holds at once while f runs (every tensor, a kernel's output or not, goes through trackTensor). */
function peakBytes(f: () => void): number {
  const engine = tf.engine() as unknown as { trackTensor: (...a: unknown[]) => void; state: { numBytes: number } };
  const track = engine.trackTensor;
  let peak = engine.state.numBytes;
  engine.trackTensor = (...a: unknown[]) => {
    track.apply(engine, a);
    peak = Math.max(peak, engine.state.numBytes);
  };
  try {
    f();
  } finally {
    engine.trackTensor = track;
  }
  return peak;
}

describe('fused conv2d and max pooling on wasm match tfjs on cpu', () => {
  // [B, H, W, C, k, CO, stride, relu, bias]: the first layer of an RGB net, odd sizes (SIMD tails in C and CO),
  // stride 2 with odd H / W (asymmetric 'same' padding), a 5×5 window, a 1×1 window, and K = 9·40 = 360 > the gemm's K
  // block (256), so the blocked accumulation is checked too
  const cases = [
    [2, 9, 9, 3, 3, 8, 1, true, true],
    [3, 7, 6, 5, 3, 7, 1, true, false],
    [2, 7, 9, 6, 3, 5, 2, false, true],
    [2, 6, 6, 4, 5, 6, 1, true, true],
    [2, 5, 5, 3, 1, 9, 1, false, false],
    [2, 8, 8, 40, 3, 12, 1, true, true],
  ] as const;
  for (const [B, H, W, C, k, CO, s, relu, bias] of cases) {
    it(`conv ${k}×${k} stride ${s} on (${B}, ${H}, ${W}, ${C}) → ${CO}${bias ? ' + bias' : ''}${relu ? ', ReLU' : ''}: output and gradients`, async () => {
      const run = (f: typeof composedConv) => () => {
        const [x, w, b] = [
          randT(1, [B, H, W, C]) as tf.Tensor4D,
          randT(2, [k, k, C, CO]) as tf.Tensor4D,
          randT(3, [CO]),
        ];
        const args = bias ? [x, w, b] : [x, w];
        const { value, grads } = tf.valueAndGrads((...t: tf.Tensor[]) =>
          weightedSum(f(t[0] as tf.Tensor4D, t[1] as tf.Tensor4D, t[2], s, relu)),
        )(args);
        return [f(x, w, bias ? b : undefined, s, relu), value, ...grads];
      };
      const fused = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor | undefined, stride: 1 | 2, r: boolean) =>
        conv2d(x, w, b, { stride, relu: r });
      await expectWasmMatchesCpuFormula(run(fused), run(composedConv), 5e-4); // the weighted sum adds up ≈ 1,500 products of 360 terms: float32 rounding ≈ 1e-4
    });
  }

  it('takes no input gradient where nothing upstream needs one (a first layer on data), and the same filter and bias gradients', async () => {
    await tf.setBackend('wasm');
    const [B, H, W, C, CO] = [4, 16, 16, 3, 8];
    const KC = 9 * C;
    const x = randT(1, [B, H, W, C]) as tf.Tensor4D;
    const w = tf.variable(randT(2, [3, 3, C, CO]));
    const b = tf.variable(randT(3, [CO]));
    const loss = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      weightedSum(conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, bi, { relu: true }));
    const before = tf.memory().numTensors;
    let onlyParams: tf.Tensor[] = [];
    let all: tf.Tensor[] = [];
    const dataOnly = peakBytes(() => {
      const { value, grads } = tf.variableGrads(() => loss(x, w, b), [w, b]);
      onlyParams = [value, grads[w.name]!, grads[b.name]!];
    });
    const withInput = peakBytes(() => {
      all = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => loss(xi, wi, bi))([x, w, b]);
    });
    // the input gradient needs dcol (P, KC), Wᵀ (CO, KC) and dx (B, H, W, C): at least the first two held at once
    expect(withInput - dataOnly).toBeGreaterThanOrEqual(4 * (B * H * W * KC + CO * KC));
    expect(await onlyParams[1]!.data()).toEqual(await all[1]!.data());
    expect(await onlyParams[2]!.data()).toEqual(await all[2]!.data());
    tf.dispose([...onlyParams, ...all, x, w, b]);
    expect(tf.memory().numTensors).toBe(before - 3); // x, w and b were made before the count
  });

  it('the blocked convolution (col R rows at a time) computes what im2col + gemm computes, to the bit, without holding the whole col', async () => {
    await tf.setBackend('wasm');
    const saved = { ...convBlocking };
    try {
      // [B, H, W, C, k, CO, stride, relu, bias]: a first layer's 3 channels, CO off the 4-lane block, stride 2 with odd
      // sizes, a 5×5 window wider than the image, a 1×1 window, and 2 images of 20×18 pixels (blocks of dw's pixels
      // past gemm's K block)
      for (const [B, H, W, C, k, CO, s, relu, bias] of [
        [3, 9, 7, 3, 3, 10, 1, true, true],
        [2, 11, 10, 13, 3, 7, 2, false, true],
        [2, 4, 3, 6, 5, 6, 1, true, false],
        [2, 5, 6, 70, 1, 9, 1, false, false],
        [2, 20, 18, 16, 3, 12, 1, true, true],
      ] as const) {
        const KC = k * k * C;
        const outputs = () =>
          tf.tidy(() => {
            const args = [randT(1, [B, H, W, C]), randT(2, [k, k, C, CO]), randT(3, [CO])].slice(0, bias ? 3 : 2);
            const f = (...t: tf.Tensor[]) =>
              conv2d(t[0] as tf.Tensor4D, t[1] as tf.Tensor4D, t[2], { stride: s, relu });
            const { value, grads } = tf.valueAndGrads((...t: tf.Tensor[]) => weightedSum(f(...t)))(args);
            return [f(...args), value, ...grads].map((t) => t.dataSync());
          });
        convBlocking.minWindow = Number.POSITIVE_INFINITY; // every layer through the materialised col
        const want = outputs();
        // blocks of a whole part, of 3 pixels (not dividing the images' pixels) and of 1
        for (const scratchFloats of [saved.scratchFloats, 3 * KC, KC - 1]) {
          Object.assign(convBlocking, { minWindow: 0, scratchFloats });
          const got = outputs();
          const what = `(${B}, ${H}, ${W}, ${C}) k ${k} → ${CO} stride ${s}, scratch ${scratchFloats}`;
          ['y', 'loss', 'dx', 'dw', 'db'].slice(0, got.length).forEach((name, i) => {
            expect(got[i], `${name} ${what}`).toEqual(want[i]);
          });
        }
      }
      // memory: the forward and backward pass of a 3×3 layer over 16 channels hold at least the col (P, 144) less
      const [B, H, W, C, CO] = [4, 16, 16, 16, 8];
      const x = randT(1, [B, H, W, C]);
      const w = randT(2, [3, 3, C, CO]);
      const pass = () => {
        const g = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => weightedSum(conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D)))(
          [x, w],
        );
        tf.dispose(g);
      };
      Object.assign(convBlocking, saved);
      const blocked = peakBytes(pass);
      convBlocking.minWindow = Number.POSITIVE_INFINITY;
      const materialised = peakBytes(pass);
      expect(materialised - blocked).toBeGreaterThanOrEqual(4 * B * H * W * 9 * C);
      tf.dispose([x, w]);
    } finally {
      Object.assign(convBlocking, saved);
    }
  });

  for (const [H, W, C] of [
    [8, 8, 16],
    [7, 5, 6],
  ] as const) {
    it(`2×2 max pool of (2, ${H}, ${W}, ${C}): output and gradient`, async () => {
      const run = (pool: (x: tf.Tensor4D) => tf.Tensor) => () => {
        const x = randT(4, [2, H, W, C]) as tf.Tensor4D;
        const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => weightedSum(pool(t as tf.Tensor4D)))([x]);
        return [pool(x), value, ...grads];
      };
      await expectWasmMatchesCpuFormula(
        run(maxPool2),
        run((x) => tf.maxPool(x, 2, 2, 'valid')),
        1e-5,
      );
    });
  }
});
