import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { fastBatchMatMul } from '../wasm-matmul';

/** Replaces wasm's BatchMatMul: every float32 product on unir's gemm (fastBatchMatMul, see wasm-matmul.ts). */
export function batchMatMulOverride(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args); // throws its own message
    return fastBatchMatMul(args.backend, a, b, transposeA, transposeB);
  };
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc,
  };
}
