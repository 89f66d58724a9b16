import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../../src/core/backend';
import { im2colBudget } from '../../../../src/core/backend/kernels/Conv2DBackpropFilter';
import { expectWasmMatchesCpu, randT, startWasmAndCpu, weightedSum } from '../oracle';

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);
const defaultBudget = im2colBudget.floats;
afterEach(() => void (im2colBudget.floats = defaultBudget));

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const VARIANTS: { name: string; strides: number | [number, number]; pad: Pad }[] = [
  { name: 'stride 1, same', strides: 1, pad: 'same' },
  { name: 'stride 2, valid', strides: 2, pad: 'valid' },
  { name: 'strides [2, 1], same', strides: [2, 1], pad: 'same' },
  { name: 'stride 3, same (odd overhang)', strides: 3, pad: 'same' },
  {
    name: 'explicit padding',
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
];

/** Loss and gradients of Σ conv2d(x, w)·r: dW runs unir's Conv2DBackpropFilter, dx wasm's own kernel. */
const convGrads =
  (v: (typeof VARIANTS)[number], xShape = [2, 7, 6, 3], wShape = [3, 3, 3, 4]) =>
  () => {
    const x = randT(1, xShape) as tf.Tensor4D;
    const w = randT(2, wShape) as tf.Tensor4D;
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
      weightedSum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, v.strides, v.pad)),
    )([x, w]);
    return [value, ...grads];
  };

describe('Conv2DBackpropFilter on wasm', () => {
  it('is registered by unir because wasm 4.22 lacks it', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const v of VARIANTS) {
    it(`${v.name}: loss, filter and input gradients match cpu`, async () => {
      await expectWasmMatchesCpu(convGrads(v));
    });
  }

  it('gives the same filter gradient when im2col runs in several chunks', async () => {
    im2colBudget.floats = 27 * 6 * 2; // two output rows per chunk: 7 chunks, the last one short
    await expectWasmMatchesCpu(convGrads(VARIANTS[0]!));
  });

  it('a 16×16 stride-16 patch embedding (ViT stem) matches cpu', async () => {
    await expectWasmMatchesCpu(
      convGrads({ name: 'patch', strides: 16, pad: 'valid' }, [2, 32, 48, 3], [16, 16, 3, 8]),
      2e-5,
    );
  });

  it("NCHW input and dy give the cpu kernel's filter gradient", async () => {
    await expectWasmMatchesCpu(() => {
      const x = randT(3, [2, 3, 7, 6]);
      const dy = randT(4, [2, 4, 4, 3]);
      const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
      return [
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
      ];
    });
  });
});
