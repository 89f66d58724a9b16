import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend, registerWasmKernels, restoreStockWasmKernels } from '../../../../src/core/backend';
import { MISSING_WASM_KERNELS } from '../../../../src/core/backend/kernels';
import { startWasmAndCpu } from '../oracle';

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

const ALL = [
  'UnsortedSegmentSum',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'BatchMatMul',
  '_FusedMatMul',
];
const funcs = () => ALL.map((k) => tf.getKernel(k, 'wasm')?.kernelFunc);

describe('registerWasmKernels', () => {
  it('is idempotent: the same kernels, each stock kernel wrapped once', () => {
    const before = funcs();
    expect(registerWasmKernels()).toEqual(ALL);
    expect(registerWasmKernels()).toEqual(ALL);
    expect(funcs()).toEqual(before);
  });

  it('restoreStockWasmKernels puts the stock matmul kernels back; registering wraps them again', async () => {
    const ours = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    restoreStockWasmKernels();
    const stock = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    expect(stock).not.toBe(ours);
    expect(registerWasmKernels()).toEqual(ALL);
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).not.toBe(stock);
    await tf.setBackend('wasm'); // runs the new kernels' setup
    expect(
      tf.tidy(() => Array.from(tf.matMul(tf.ones([2, 3, 4]), tf.ones([2, 5, 4]), false, true).dataSync())),
    ).toEqual(new Array(30).fill(4));
  });

  it('leaves a kernel alone when the wasm package already has its own', () => {
    const ours = MISSING_WASM_KERNELS[0]!;
    const theirs = { ...ours, kernelFunc: ours.kernelFunc.bind(null) };
    tf.unregisterKernel(ours.kernelName, 'wasm');
    tf.registerKernel(theirs);
    try {
      expect(registerWasmKernels()).toEqual(ALL.filter((k) => k !== ours.kernelName));
      expect(tf.getKernel(ours.kernelName, 'wasm')!.kernelFunc).toBe(theirs.kernelFunc);
    } finally {
      tf.unregisterKernel(ours.kernelName, 'wasm');
      tf.registerKernel(ours);
    }
    expect(registerWasmKernels()).toEqual(ALL);
  });
});
