import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { f32, type WasmBackend } from './wasm-heap';
import { deferringKernels, stockKernelDeferred } from './simd/pool';

/**
 * The registered wasm kernels (stock or unir's overrides) called directly, outside the engine: no tape, scope or
 * tensor bookkeeping (≈ 10 µs an op through the engine). A fused op composed of them gives the values of the same
 * ops run one by one. Every output is freed by dispose() unless kept as a tensor.
 */
export class StockKernels {
  private readonly made: TensorInfo[] = [];

  constructor(private readonly be: WasmBackend) {}

  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    if (deferringKernels()) throw stockKernelDeferred(name);
    const kernel = tf.getKernel(name, 'wasm');
    if (!kernel) throw new Error(`StockKernels: wasm has no ${name} kernel`);
    const out = kernel.kernelFunc({ inputs, backend: this.be as unknown as tf.KernelBackend, attrs }) as TensorInfo;
    this.made.push(out);
    return out;
  }

  /** A float32 scalar, as tfjs makes one from a number operand. */
  scalar(v: number): TensorInfo {
    const t = this.be.makeOutput([], 'float32');
    f32(this.be, t, 1)[0] = v;
    this.made.push(t);
    return t;
  }

  /** A float32 n × n identity, as tf.eye makes it. */
  eye(n: number): TensorInfo {
    const t = this.be.makeOutput([n, n], 'float32');
    const v = f32(this.be, t).fill(0);
    for (let i = 0; i < n; i++) v[i * n + i] = 1;
    this.made.push(t);
    return t;
  }

  /** A scalar output's value. */
  read(t: TensorInfo): number {
    return f32(this.be, t, 1)[0]!;
  }

  /** The output as an engine tensor, which then owns its data. */
  keep(t: TensorInfo): tf.Tensor {
    this.made.splice(this.made.indexOf(t), 1);
    return tf.engine().makeTensorFromTensorInfo(t);
  }

  dispose(): void {
    for (const t of this.made) this.be.disposeData(t.dataId);
    this.made.length = 0;
  }
}
