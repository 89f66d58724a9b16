import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { alias } from '../wasm-heap';

/**
 * Replaces wasm's Cast for a cast to the dtype x already has, which the stock kernel copies: the gradient of
 * every tensor saved for backward is such a cast (float32 → float32, ≈ 470 per step of the paper model). The
 * output shares x's data with one more reference (see Identity.ts). Real conversions: the stock kernel.
 */
export function castOverride(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { dtype } = args.attrs as { dtype: DataType };
    if (dtype !== x.dtype || x.dtype === 'string' || x.dtype === 'complex64') return original.kernelFunc(args);
    return alias(args.backend, x);
  };
  return { ...original, kernelFunc }; // the stock kernel's name, backend, setup and dispose
}
