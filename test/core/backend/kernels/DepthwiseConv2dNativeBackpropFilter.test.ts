import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../../src/core/backend';
import { expectWasmMatchesCpu, expectWasmMatchesCpuFormula, randT, startWasmAndCpu, undilateFilter } from '../oracle';

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

// The loss/gradient variants run in DepthwiseConv2dNativeBackpropInput.test.ts (one backward pass uses both kernels).
describe('DepthwiseConv2dNativeBackpropFilter on wasm', () => {
  it('is registered by unir because wasm 4.22 lacks it', () => {
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const [name, attrs, dyShape] of [
    ['stride 1, same', { strides: [1, 1], dilations: [1, 1], pad: 'same' }, [2, 7, 6, 6]],
    ['stride 2, valid', { strides: [2, 2], dilations: [1, 1], pad: 'valid' }, [2, 3, 2, 6]],
  ] as const) {
    it(`${name} matches the cpu kernel`, async () => {
      await expectWasmMatchesCpu(() => {
        const x = randT(5, [2, 7, 6, 3]);
        const dy = randT(6, [...dyShape]);
        const a = { ...attrs, filterShape: [3, 3, 3, 2] };
        return [
          tf
            .engine()
            .runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, a as unknown as tf.NamedAttrMap) as tf.Tensor,
        ];
      });
    });
  }

  it("dilation 2 equals every 2nd tap of the zero-inserted filter's gradient (cpu)", async () => {
    // tfjs has no gradient for dilated depthwise convs and cpu's kernel ignores dilations: use the equivalent 5×5 filter.
    const run = (dilations: number, filterShape: number[]) =>
      tf
        .engine()
        .runKernel('DepthwiseConv2dNativeBackpropFilter', { x: randT(5, [2, 7, 6, 3]), dy: randT(6, [2, 7, 6, 6]) }, {
          strides: [1, 1],
          dilations: [dilations, dilations],
          pad: 'same',
          filterShape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    await expectWasmMatchesCpuFormula(
      () => [run(2, [3, 3, 3, 2])],
      () => [undilateFilter(run(1, [5, 5, 3, 2]), 2, 3, 3)],
    );
  });
});
