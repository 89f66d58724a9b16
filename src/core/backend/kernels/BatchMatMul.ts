import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { fastBatchMatMul, matMulPath, matMulShapes, setupXnnMatMul } from '../wasm-matmul';
import { gemmThreads } from '../simd/pool';
import { asWasm } from '../wasm-heap';

/**
 * Replaces wasm's BatchMatMul: fastBatchMatMul picks unir's gemm or XNNPACK by shape (see wasm-matmul.ts); the
 * stock kernel (kept as `original`) still runs XNNPACK's one fast case — batch 1, no transpose.
 */
export function batchMatMulOverride(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args); // throws its own message
    const s = matMulShapes(a, b, transposeA, transposeB);
    const path = matMulPath(s, gemmThreads(asWasm(args.backend)));
    if (path === 'xnn' && !transposeA && !transposeB && s.batchA === 1 && s.batchB === 1)
      return original.kernelFunc(args);
    return fastBatchMatMul(args.backend, a, b, transposeA, transposeB, path);
  };
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: (backend) => {
      original.setupFunc?.(backend);
      setupXnnMatMul(backend);
    },
    disposeFunc: original.disposeFunc,
    kernelFunc,
  };
}
