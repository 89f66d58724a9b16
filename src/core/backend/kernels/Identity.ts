import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { alias } from '../wasm-heap';

/**
 * Replaces wasm's Identity, which copies its input: tfjs-core runs Identity for every tensor it saves for the
 * backward pass (engine.clone), ≈ 2,300 copies per step of the paper model (≈ 70 ms). Tensors are immutable
 * in tfjs, so the output can share x's data (wasm-heap.ts alias). Strings: the stock kernel.
 */
export function identityOverride(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return original.kernelFunc(args);
    return alias(args.backend, x);
  };
  return { ...original, kernelFunc }; // the stock kernel's name, backend, setup and dispose
}
