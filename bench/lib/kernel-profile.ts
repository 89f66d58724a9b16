import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';

export interface KernelTime {
  kernel: string;
  ms: number;
  calls: number;
}

/**
 * Per-kernel wall time of everything run on `backendName` while `fn` runs: every kernel registered for the
 * backend is re-registered with a timing wrapper (exclusive time: a kernel that runs other kernels inside is
 * charged only its own part), then the originals are put back. Cheaper and more faithful than tf.profile,
 * which also downloads every output. Synchronous backends only (wasm, cpu).
 */
export function profileKernels(backendName: string, fn: () => void): KernelTime[] {
  const configs = tf.getKernelsForBackend(backendName) as KernelConfig[];
  const totals = new Map<string, { ms: number; calls: number }>();
  const stack: number[] = []; // child time accumulated per open kernel
  for (const cfg of configs) {
    const inner = cfg.kernelFunc;
    const timed: KernelConfig['kernelFunc'] = (args) => {
      stack.push(0);
      const t0 = performance.now();
      try {
        return inner(args);
      } finally {
        const dt = performance.now() - t0;
        const child = stack.pop()!;
        if (stack.length) stack[stack.length - 1]! += dt;
        const e = totals.get(cfg.kernelName) ?? { ms: 0, calls: 0 };
        e.ms += dt - child;
        e.calls++;
        totals.set(cfg.kernelName, e);
      }
    };
    tf.unregisterKernel(cfg.kernelName, backendName);
    tf.registerKernel({ ...cfg, kernelFunc: timed, setupFunc: undefined });
  }
  try {
    fn();
  } finally {
    for (const cfg of configs) {
      tf.unregisterKernel(cfg.kernelName, backendName);
      tf.registerKernel({ ...cfg, setupFunc: undefined });
    }
  }
  return [...totals].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms);
}
