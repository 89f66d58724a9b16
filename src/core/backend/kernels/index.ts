import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { addOverride } from './Add';
import { batchMatMulOverride } from './BatchMatMul';
import { castOverride } from './Cast';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput';
import { fusedMatMulOverride } from './_FusedMatMul';
import { gatherV2Override } from './GatherV2';
import { identityOverride } from './Identity';
import { splitVOverride } from './SplitV';
import { sumOverride } from './Sum';
import { transposeOverride } from './Transpose';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum';

/** Gradient kernels tfjs-backend-wasm 4.22 lacks; registered only where the package still lacks them. */
export const MISSING_WASM_KERNELS: readonly KernelConfig[] = [
  unsortedSegmentSumConfig,
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
];

/** Stock wasm kernels unir wraps (the stock one stays inside the wrapper for the cases it does well). */
export const WASM_KERNEL_OVERRIDES: Readonly<Record<string, (original: KernelConfig) => KernelConfig>> = {
  BatchMatMul: batchMatMulOverride,
  _FusedMatMul: fusedMatMulOverride,
};

/** Speed-only replacements of stock wasm kernels that are correct but slow (bench/train-step.ts measured them). */
export const SPEED_WASM_KERNEL_OVERRIDES: Readonly<Record<string, (original: KernelConfig) => KernelConfig>> = {
  GatherV2: gatherV2Override,
  Identity: identityOverride,
  Cast: castOverride,
  Transpose: transposeOverride,
  Add: addOverride,
  Sum: sumOverride,
  SplitV: splitVOverride,
};

/** Names of the speed-only replacements now active for 'wasm' (registerWasmKernels installs them). */
export function speedWasmKernels(): string[] {
  return Object.keys(SPEED_WASM_KERNEL_OVERRIDES).filter((k) => isOurs(tf.getKernel(k, 'wasm')));
}

// One record per process (shared even if this module is loaded twice, e.g. by a notebook and a test runner).
interface Registered {
  ours: WeakSet<KernelConfig['kernelFunc']>;
  originals: Map<string, KernelConfig>;
}
const KEY = Symbol.for('unir.backend.wasmKernels');
const g = globalThis as unknown as Record<symbol, Registered | undefined>;
const state: Registered = (g[KEY] ??= { ours: new WeakSet(), originals: new Map() });

const isOurs = (k: KernelConfig | undefined) => k !== undefined && state.ours.has(k.kernelFunc);

/**
 * Registers unir's wasm training kernels and the speed-only replacements; idempotent. Returns the names of the
 * training kernels now active for 'wasm' (missing ones, matmul fixes); speedWasmKernels() lists the others. Call
 * before tf.setBackend('wasm') so their setup runs (initBackend does).
 */
export function registerWasmKernels(): string[] {
  const active: string[] = [];
  for (const cfg of MISSING_WASM_KERNELS) {
    const existing = tf.getKernel(cfg.kernelName, 'wasm');
    if (existing && !isOurs(existing)) continue; // the package grew its own: use it
    if (!existing) {
      tf.registerKernel(cfg);
      state.ours.add(cfg.kernelFunc);
    }
    active.push(cfg.kernelName);
  }
  for (const [name, wrap] of [
    ...Object.entries(WASM_KERNEL_OVERRIDES),
    ...Object.entries(SPEED_WASM_KERNEL_OVERRIDES),
  ]) {
    const existing = tf.getKernel(name, 'wasm');
    if (!existing) continue;
    if (!isOurs(existing)) {
      state.originals.set(name, existing);
      const cfg = wrap(existing);
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(cfg);
      state.ours.add(cfg.kernelFunc);
    }
    if (name in WASM_KERNEL_OVERRIDES) active.push(name); // speed-only ones: speedWasmKernels()
  }
  return active;
}

/** Puts the stock wasm BatchMatMul / _FusedMatMul back (benchmarks compare with them). */
export function restoreStockWasmKernels(): void {
  for (const [name, original] of state.originals) {
    if (!isOurs(tf.getKernel(name, 'wasm'))) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  state.originals.clear();
}
