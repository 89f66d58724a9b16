import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, disposeTemp, f32, runWasmKernel, type WasmBackend } from '../wasm-heap';
import { fastBatchMatMul, matMulShapes } from '../wasm-matmul';

/** tfjs fused activation → the wasm kernel that applies it. */
const ACTIVATIONS: Record<string, string | undefined> = {
  relu: 'Relu',
  relu6: 'Relu6',
  prelu: 'Prelu',
  leakyrelu: 'LeakyRelu',
  sigmoid: 'Sigmoid',
  elu: 'Elu',
};

/** Whether reading alpha[i % alpha.size] across an output of `outShape` is numpy broadcasting of `alphaShape`. */
function indexesByModulo(alphaShape: number[], outShape: number[]): boolean {
  const first = alphaShape.findIndex((d) => d !== 1);
  if (first < 0) return true;
  const core = alphaShape.slice(first);
  return core.length <= outShape.length && core.every((d, i) => d === outShape[outShape.length - core.length + i]);
}

/** `t` broadcast to `shape` (an owned temporary): zeros + t through the wasm Add kernel. */
function broadcastTo(be: WasmBackend, t: TensorInfo, shape: number[]): TensorInfo {
  const zeros = be.makeOutput(shape, 'float32');
  f32(be, zeros).fill(0);
  const out = runWasmKernel(be, 'Add', { a: zeros, b: t });
  disposeTemp(be, zeros);
  return out;
}

/**
 * Replaces wasm's _FusedMatMul (matmul + bias + activation). The stock kernel is right only on its XNNPACK path
 * (batch 1, no transpose, bias of shape (N), prelu weights indexed by modulo); elsewhere it adds the bias and
 * applies relu once per 48-wide block of the inner dimension, so results are wrong when that is over 48. Every
 * float32 case runs here as fastBatchMatMul (unir's gemm: the same bits on any thread count), then the wasm Add
 * and activation kernels.
 */
export function fusedMatMulOverride(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined> & {
      a: TensorInfo;
      b: TensorInfo;
    };
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation: string;
      leakyreluAlpha?: number;
    };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);
    const s = matMulShapes(a, b, transposeA, transposeB);
    const alphaOk = activation !== 'prelu' || indexesByModulo(preluActivationWeights!.shape, s.outShape);
    if (activation !== 'linear' && ACTIVATIONS[activation] === undefined) return original.kernelFunc(args); // its own error
    const be = asWasm(args.backend);
    let y = fastBatchMatMul(be, a, b, transposeA, transposeB);
    const step = (next: TensorInfo) => {
      disposeTemp(be, y);
      y = next;
    };
    if (bias) step(runWasmKernel(be, 'Add', { a: y, b: bias }));
    const act = ACTIVATIONS[activation];
    if (act === 'Prelu') {
      // wasm's Prelu reads alpha[i % size]: give it alpha at the full output shape unless that is the same thing.
      const alpha = alphaOk ? preluActivationWeights! : broadcastTo(be, preluActivationWeights!, s.outShape);
      step(runWasmKernel(be, act, { x: y, alpha }));
      if (!alphaOk) disposeTemp(be, alpha);
    } else if (act === 'LeakyRelu') step(runWasmKernel(be, act, { x: y }, { alpha: leakyreluAlpha ?? 0.2 }));
    else if (act) step(runWasmKernel(be, act, { x: y }));
    return y;
  };
  return {
    kernelName: '_FusedMatMul',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc,
  };
}
