import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Replaces wasm's Identity, which copies its input: tfjs-core runs Identity for every tensor it saves for the
 * backward pass (engine.clone), ≈ 2,300 copies per step of the paper model (≈ 70 ms). Tensors are immutable
 * in tfjs (a Variable's assign swaps its dataId, it never writes in place), so the output can share x's data
 * with one more reference, as wasm's own Reshape and the cpu backend's Identity do. Strings: the stock kernel.
 */
export function identityOverride(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return original.kernelFunc(args);
    (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { kernelName: 'Identity', backendName: 'wasm', setupFunc: original.setupFunc, disposeFunc: original.disposeFunc, kernelFunc };
}
