import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { alias } from '../wasm-heap';

/**
 * Replaces wasm's Transpose when the permutation moves no data: the axes longer than 1 keep their order (the
 * identity, or (B, 1, N) → (B, N, 1)). The stock kernel copies then, e.g. tfjs's gather gradient transposes the
 * (32,770 × 128) embedding-table gradient by [0, 1] (≈ 2.3 ms each, 7 per step of the paper model). The output
 * shares x's data with one more reference (see Identity.ts); every real permutation runs the stock kernel.
 */
export function transposeOverride(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    const moved = perm.filter((p) => x.shape[p]! > 1);
    if (x.dtype === 'string' || moved.some((p, i) => i > 0 && p < moved[i - 1]!)) return original.kernelFunc(args);
    return alias(
      args.backend,
      x,
      perm.map((p) => x.shape[p]!),
    );
  };
  return { ...original, kernelFunc }; // the stock kernel's name, backend, setup and dispose
}
