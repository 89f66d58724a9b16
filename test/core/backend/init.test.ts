import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  currentBackend,
  disposeBackend,
  initBackend,
  probeBackends,
  type BackendName,
} from '../../../src/core/backend';
import { UserError } from '../../../src/core/errors';

const installed = (pkg: string) => {
  try {
    createRequire(__filename).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const WASM_KERNELS = [
  'UnsortedSegmentSum',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'BatchMatMul',
  '_FusedMatMul',
];

afterEach(() => void vi.unstubAllEnvs());
afterAll(disposeBackend);

describe('initBackend', () => {
  it("'cpu' reports one thread, no SIMD and no unir kernels", async () => {
    const info = await initBackend({ backend: 'cpu', quiet: true });
    expect(info).toEqual({ name: 'cpu', threads: 1, simd: false, kernels: [], tfjsVersion: tf.version_core });
    expect(tf.getBackend()).toBe('cpu');
    expect(currentBackend()).toEqual(info);
  });

  it("'wasm' with 1 thread: SIMD, the training kernels, no fallback notice", async () => {
    const info = await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    expect(info).toEqual({
      name: 'wasm',
      threads: 1,
      simd: true,
      relaxedSimd: true, // Node 20's V8 has relaxed SIMD behind a flag unir sets (simd-kernels.ts relaxedSimd)
      nativeGemm: expect.stringMatching(/^(avx512f|avx2\+fma)$/), // x86-64 with a C compiler (native/native.ts)
      kernels: WASM_KERNELS,
      tfjsVersion: tf.version_core,
    });
    expect(tf.getBackend()).toBe('wasm');
    for (const k of WASM_KERNELS) expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
  });

  it('is idempotent: the same request keeps the same backend instance', async () => {
    const first = await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    const instance = tf.engine().registry.wasm;
    const x = tf.tensor([1, 2, 3]);
    const again = await Promise.all([
      initBackend({ backend: 'wasm', threads: 1 }),
      initBackend({ backend: 'wasm', threads: 1 }),
    ]);
    expect(again).toEqual([first, first]);
    expect(tf.engine().registry.wasm).toBe(instance);
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3]); // tensors made before survive
    x.dispose();
  });

  it('takes the backend from UNIR_BACKEND, and threads from UNIR_WASM_THREADS', async () => {
    vi.stubEnv('UNIR_BACKEND', 'cpu');
    expect((await initBackend({ quiet: true })).name).toBe('cpu');
    vi.stubEnv('UNIR_BACKEND', 'wasm');
    vi.stubEnv('UNIR_WASM_THREADS', '1');
    expect(await initBackend({ quiet: true })).toMatchObject({ name: 'wasm', threads: 1 });
  });

  it("'auto' takes the fastest backend that loads", async () => {
    const native = installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node');
    const info = await initBackend({ backend: 'auto', threads: 1, quiet: true });
    expect(info.name).toBe(native ? expect.stringMatching(/^tensorflow/) : 'wasm');
  });

  it('an unknown name is a UserError naming the valid ones, --backend and UNIR_BACKEND', async () => {
    const err = await initBackend({ backend: 'wsam' as BackendName }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      "backend 'wsam': unknown backend. Did you mean 'wasm'? Use one of auto, tensorflow-gpu, tensorflow, wasm, cpu (--backend or UNIR_BACKEND).",
    );
    vi.stubEnv('UNIR_BACKEND', 'gpu');
    await expect(initBackend()).rejects.toThrow(
      /^UNIR_BACKEND=gpu: unknown backend\. .*Use one of auto, tensorflow-gpu, tensorflow, wasm, cpu/,
    );
  });

  it('bad thread counts are UserErrors', async () => {
    await expect(initBackend({ backend: 'wasm', threads: 0 })).rejects.toThrow(
      'initBackend: threads must be a whole number ≥ 1, got 0.',
    );
    vi.stubEnv('UNIR_WASM_THREADS', 'many');
    await expect(initBackend({ backend: 'wasm' })).rejects.toThrow(
      'UNIR_WASM_THREADS=many: expected a whole number ≥ 1 (1 = single thread).',
    );
  });

  it.each([
    ['tensorflow', '@tensorflow/tfjs-node'],
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
  ] as const)(
    "explicit '%s' without %s is a UserError that says how to install it and what to use instead",
    async (name, pkg) => {
      if (installed(pkg)) {
        expect((await initBackend({ backend: name })).name).toBe(name);
        return;
      }
      const err = await initBackend({ backend: name }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe(
        `backend '${name}': ${pkg} is not installed (needs internet + \`npm i ${pkg}\`); use --backend wasm (or UNIR_BACKEND=wasm).`,
      );
    },
  );
});

describe('probeBackends', () => {
  it('lists every backend, fastest first, with the reason a missing one does not load', async () => {
    const probes = await probeBackends();
    expect(probes.map((p) => p.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    expect(probes.slice(2)).toEqual([
      { name: 'wasm', loads: true },
      { name: 'cpu', loads: true },
    ]);
    for (const p of probes.slice(0, 2)) {
      const pkg = p.name === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      if (installed(pkg)) continue;
      expect(p).toEqual({
        name: p.name,
        loads: false,
        reason: `${pkg} is not installed (needs internet + \`npm i ${pkg}\`)`,
      });
    }
  });
});

describe('disposeBackend', () => {
  it('removes wasm but keeps its factory, so initBackend can start it again', async () => {
    await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    await disposeBackend();
    expect(tf.engine().registry.wasm).toBeUndefined();
    expect(tf.findBackendFactory('wasm')).toBeTypeOf('function');
    expect(currentBackend()).toBeUndefined();
    const info = await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    expect(info.name).toBe('wasm');
    expect(tf.tidy(() => tf.sum(tf.matMul(tf.ones([2, 3]), tf.ones([2, 3]), false, true)).dataSync()[0])).toBe(12);
  });
});
