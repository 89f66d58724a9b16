import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../../src/core/backend';
import {
  dilateFilter,
  expectWasmMatchesCpu,
  expectWasmMatchesCpuFormula,
  randT,
  startWasmAndCpu,
  weightedSum,
} from '../oracle';

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

type Pad = 'same' | 'valid';
const DEPTHWISE_VARIANTS: { name: string; strides: number | [number, number]; pad: Pad; chMul: number }[] = [
  { name: 'stride 1, same, channel multiplier 2', strides: 1, pad: 'same', chMul: 2 },
  { name: 'stride 2, valid, channel multiplier 2', strides: 2, pad: 'valid', chMul: 2 },
  { name: 'stride 2, same, channel multiplier 1', strides: 2, pad: 'same', chMul: 1 },
  { name: 'strides [1, 2], same, channel multiplier 3', strides: [1, 2], pad: 'same', chMul: 3 },
];

/** Loss and gradients of Σ depthwiseConv2d(x, w)·r: dx and dW are unir's two depthwise gradient kernels. */
const depthwiseGrads = (v: (typeof DEPTHWISE_VARIANTS)[number]) => () => {
  const x = randT(1, [2, 7, 6, 3]) as tf.Tensor4D;
  const w = randT(2, [3, 3, 3, v.chMul]) as tf.Tensor4D;
  const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
    weightedSum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, v.strides, v.pad)),
  )([x, w]);
  return [value, ...grads];
};

describe('DepthwiseConv2dNativeBackpropInput on wasm', () => {
  it('is registered by unir because wasm 4.22 lacks it', () => {
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')).toBeDefined();
  });

  for (const v of DEPTHWISE_VARIANTS) {
    it(`${v.name}: loss, input and filter gradients match cpu`, async () => {
      await expectWasmMatchesCpu(depthwiseGrads(v));
    });
  }

  it('dilation 2 equals the undilated gradient of the zero-inserted filter (cpu)', async () => {
    // tfjs has no gradient for dilated depthwise convs and cpu's kernel ignores dilations: use the equivalent 5×5 filter.
    const dy = () => randT(3, [2, 7, 6, 6]);
    const filter = () => randT(4, [3, 3, 3, 2]) as tf.Tensor4D;
    const run = (f: tf.Tensor, dilations: number) => [
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy(), filter: f }, {
        strides: [1, 1],
        dilations: [dilations, dilations],
        pad: 'same',
        inputShape: [2, 7, 6, 3],
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    ];
    await expectWasmMatchesCpuFormula(
      () => run(filter(), 2),
      () => run(dilateFilter(filter(), 2), 1),
    );
  });
});
