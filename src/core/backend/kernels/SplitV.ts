import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { asWasm, heapWords, ptr } from '../wasm-heap';

/**
 * Replaces wasm's SplitV for float32 / int32 x: each part's blocks copied whole (copyWithin on the heap's words), one
 * block per index of the axes before the split axis. The stock kernel slices each part through its generic strided
 * path (≈ 0.5 ms per (1,000, 128) part). Other dtypes: the stock kernel.
 */
export function splitVOverride(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return original.kernelFunc(args);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const be = asWasm(args.backend);
    const outer = tf.util.sizeFromShape(x.shape.slice(0, ax));
    const inner = tf.util.sizeFromShape(x.shape.slice(ax + 1));
    const width = x.shape[ax]! * inner; // words per outer index in x
    const outs = sizes.map((s) =>
      be.makeOutput(
        x.shape.map((d, i) => (i === ax ? s : d)),
        x.dtype,
      ),
    );
    const words = heapWords(be); // after the allocations
    const xo = ptr(be, x) >>> 2;
    let at = 0; // this part's first word within an outer block of x
    outs.forEach((out, j) => {
      const w = sizes[j]! * inner;
      const oo = ptr(be, out) >>> 2;
      for (let o = 0; o < outer; o++) words.copyWithin(oo + o * w, xo + o * width + at, xo + o * width + at + w);
      at += w;
    });
    return outs;
  };
  return { ...original, kernelFunc }; // the stock kernel's name, backend, setup and dispose
}
