import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers tfjs-core's gradients (tfjs-core alone registers none): training needs them
import { UserError, didYouMean } from '../errors';
import { registerWasmKernels } from './kernels';
import { startGemmPool, stopGemmPool } from './simd/pool';
import { nativeGemmStatus } from './native/native';
import { memoryOf, relaxedSimd, sharedMemory } from './simd/simd-kernels';
import { asWasm } from './wasm-heap';
import { loadNative, NATIVE_PACKAGES, type NativeBackend } from './probe';
import { MAX_WASM_THREADS, prepareThreadShim } from './wasm-threads';

export { probeBackends, type BackendProbe } from './probe';
export { registerWasmKernels, restoreStockWasmKernels } from './kernels';

/**
 * The tfjs backend layer. `initBackend()` picks the backend (fastest that loads for 'auto': tensorflow-gpu →
 * tensorflow → wasm → cpu), starts wasm multithreaded when the machine has more than one core, and registers the
 * training kernels unir adds to wasm. Safe to call again (notebook cells re-run): the same request returns the
 * same backend, a different one switches. `disposeBackend()` frees it at the end (wasm threads included).
 */
import { BACKEND_NAMES, type BackendName, type ConcreteBackendName } from './names';
export { BACKEND_NAMES, type BackendName, type ConcreteBackendName };

export interface BackendInfo {
  name: ConcreteBackendName;
  /** Threads the backend computes on (wasm: the XNNPACK pool; cpu: 1; tensorflow: the cores). */
  threads: number;
  /** Whether it runs SIMD code (wasm: the SIMD build; tensorflow: native; cpu: no). */
  simd: boolean;
  /** wasm: whether unir's kernels use relaxed SIMD (fused multiply-add; simd/simd-kernels.ts relaxedSimd). */
  relaxedSimd?: boolean;
  /**
   * wasm: the instruction set of the native addon that runs the products, GELU and attention ('avx512f',
   * 'avx2+fma'; the wasm kernels' results, ≈ 2× faster products), else 'off: ' and why (native/native.ts).
   */
  nativeGemm?: string;
  /** Why wasm runs on one thread although more were asked for; absent when nothing fell back. */
  multithreadFallback?: string;
  /** The training kernels unir registered for this backend. */
  kernels: string[];
  tfjsVersion: string;
}

export interface InitBackendOptions {
  /** Default: $UNIR_BACKEND, else 'auto'. */
  backend?: BackendName;
  /** wasm threads. Default: $UNIR_WASM_THREADS, else os.availableParallelism() (at most 8). */
  threads?: number;
  /** Do not print the one-line multithreading fallback notice (it is still in the result). */
  quiet?: boolean;
}

let current: { info: BackendInfo; key: string } | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** Runs init/dispose one at a time, so concurrent callers never interleave backend switches. */
function serial<T>(f: () => Promise<T>): Promise<T> {
  const p = queue.then(f, f);
  queue = p.catch(() => undefined);
  return p;
}

// tfjs's production mode: no "Hi, looks like you are running TensorFlow.js in Node.js" banner (the cpu backend's
// first tensor) and no kernel re-registration notices in every CLI start; 'unir doctor' says what to install.
tf.env().set('PROD', true);

const engineName = (name: ConcreteBackendName) => (name === 'tensorflow-gpu' ? 'tensorflow' : name);

function resolveName(requested: string | undefined): BackendName {
  const fromEnv = requested === undefined && process.env.UNIR_BACKEND !== undefined && process.env.UNIR_BACKEND !== '';
  const name = requested ?? (fromEnv ? process.env.UNIR_BACKEND! : 'auto');
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  const hint = didYouMean(name, BACKEND_NAMES);
  const where = fromEnv ? `UNIR_BACKEND=${name}` : `backend '${name}'`;
  throw new UserError(
    `${where}: unknown backend.${hint ? ` Did you mean '${hint}'?` : ''} ` +
      `Use one of ${BACKEND_NAMES.join(', ')} (--backend or UNIR_BACKEND).`,
  );
}

let warnedThreads = false;

function resolveThreads(requested: number | undefined): number {
  const env = process.env.UNIR_WASM_THREADS;
  if (requested === undefined && env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(`UNIR_WASM_THREADS=${env}: expected a whole number ≥ 1 (1 = single thread).`);
    const cores = os.availableParallelism();
    if (n > cores && !warnedThreads) {
      warnedThreads = true;
      console.warn(
        `unir: UNIR_WASM_THREADS=${env} is more than this machine's ${cores} core${cores === 1 ? '' : 's'}` +
          `${n > MAX_WASM_THREADS ? ` (and wasm uses at most ${MAX_WASM_THREADS})` : ''}: threads beyond the cores make every step slower; ` +
          `set UNIR_WASM_THREADS=${cores} or leave it unset`,
      );
    }
    return n;
  }
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new UserError(`initBackend: threads must be a whole number ≥ 1, got ${requested}.`);
  }
  return requested ?? os.availableParallelism();
}

/** Removes a backend (freeing its memory and threads) but keeps its factory, so it can be started again. */
function removeKeepingFactory(name: string): void {
  const reg = tf.engine().registryFactory[name];
  if (!reg) return;
  if (name === 'wasm') {
    stopGemmPool();
    wasmThreads = 0;
  }
  tf.removeBackend(name);
  tf.registerBackend(name, reg.factory, reg.priority);
}

async function setBackendOrThrow(name: string): Promise<void> {
  if (!(await tf.setBackend(name)))
    throw new Error(`tfjs could not start the '${name}' backend (see the warning above)`);
}

/**
 * Lets Node exit while the pool's threads wait for work (Emscripten keeps them referenced): the wasm backend is
 * synchronous, so nothing is lost. disposeBackend() still frees them properly.
 */
function unrefPool(): void {
  const wasm = (
    tf.engine().registry.wasm as unknown as { wasm?: { PThread?: { runningWorkers?: { unref(): void }[] } } }
  ).wasm;
  for (const w of wasm?.PThread?.runningWorkers ?? []) w.unref();
}

/** Threads of the wasm backend now running (unir's gemm pool + this thread); 0 when none runs. */
let wasmThreads = 0;

async function startWasm(threads: number): Promise<{ threads: number; simd: boolean; fallback?: string }> {
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const want = simd ? Math.min(threads, MAX_WASM_THREADS) : 1;
  if (tf.engine().registry.wasm) {
    if (wasmThreads === want) {
      await setBackendOrThrow('wasm'); // already running as asked (also runs kernel setup)
      return { threads: want, simd };
    }
    removeKeepingFactory('wasm');
  }
  let fallback: string | undefined;
  if (threads > 1) {
    const shim = simd
      ? prepareThreadShim(want, tfWasm.version_wasm)
      : { ok: false as const, reason: 'this Node has no wasm SIMD, which the threaded build needs' };
    if (shim.ok) {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
      // XNNPACK's own pool stays at one thread: unir's gemm pool is the parallel part (simd/pool.ts)
      tfWasm.setThreadsCount(1);
      let started = false;
      let error = '';
      shim.install();
      try {
        started = await tf.setBackend('wasm');
      } catch (e) {
        error = (e as Error).message.split('\n')[0]!;
      } finally {
        shim.uninstall();
        // Only init reads the flag: left on, a later start without the shim (tfjs auto-picking wasm after
        // disposeBackend) would hand the workers blob: URLs again.
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      }
      let poolError = '';
      if (started && sharedMemory(memoryOf(asWasm(tf.backend())))) {
        unrefPool();
        try {
          await startGemmPool(asWasm(tf.backend()), want);
          wasmThreads = want;
          return { threads: want, simd };
        } catch (e) {
          poolError = (e as Error).message.split('\n')[0]!;
        }
      }
      fallback = poolError
        ? `unir's gemm threads did not start (${poolError})`
        : started
          ? 'the threaded wasm build started without a shared heap'
          : `the threaded wasm build did not start${error ? ` (${error})` : ''}`;
      removeKeepingFactory('wasm');
    } else fallback = shim.reason;
  }
  tfWasm.setThreadsCount(1);
  await setBackendOrThrow('wasm');
  wasmThreads = 1;
  return {
    threads: 1,
    simd,
    fallback: fallback && `${fallback}; wasm runs on 1 thread (UNIR_WASM_THREADS=1 chooses that and silences this)`,
  };
}

async function startNative(name: NativeBackend, explicit: boolean): Promise<BackendInfo | undefined> {
  const problem = await loadNative(name);
  if (problem) {
    if (!explicit) return undefined;
    throw new UserError(`backend '${name}': ${problem}; use --backend wasm (or UNIR_BACKEND=wasm).`);
  }
  await setBackendOrThrow('tensorflow');
  return { name, threads: os.availableParallelism(), simd: true, kernels: [], tfjsVersion: tf.version_core };
}

async function start(name: BackendName, threads: number, quiet: boolean): Promise<BackendInfo> {
  if (name === 'auto') {
    for (const n of Object.keys(NATIVE_PACKAGES) as NativeBackend[]) {
      const info = await startNative(n, false);
      if (info) return info;
    }
    try {
      return await start('wasm', threads, quiet);
    } catch (e) {
      if (!quiet)
        console.warn(
          `unir: the wasm backend did not start (${(e as Error).message.split('\n')[0]}); using the slow cpu backend`,
        );
      return start('cpu', threads, quiet);
    }
  }
  if (name === 'tensorflow-gpu' || name === 'tensorflow') return (await startNative(name, true))!;
  if (name === 'cpu') {
    await setBackendOrThrow('cpu');
    return { name, threads: 1, simd: false, kernels: [], tfjsVersion: tf.version_core };
  }
  const kernels = registerWasmKernels(); // before setBackend, which runs the kernels' setup
  const w = await startWasm(threads);
  if (w.fallback && !quiet) console.warn(`unir: wasm threads: ${w.fallback}`);
  return {
    name: 'wasm',
    threads: w.threads,
    simd: w.simd,
    ...(w.simd ? { relaxedSimd: relaxedSimd(), nativeGemm: nativeGemmLabel() } : {}),
    ...(w.fallback ? { multithreadFallback: w.fallback } : {}),
    kernels,
    tfjsVersion: tf.version_core,
  };
}

function nativeGemmLabel(): string {
  const s = nativeGemmStatus();
  return s.isa ?? `off: ${s.reason}`;
}

/** Chooses, starts and switches to a backend; see InitBackendOptions for the defaults. */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  return serial(async () => {
    const name = resolveName(opts.backend);
    const threads = resolveThreads(opts.threads);
    const key = `${name}/${threads}`;
    if (current?.key === key && tf.getBackend() === engineName(current.info.name)) return { ...current.info };
    const info = await start(name, threads, opts.quiet ?? false);
    current = { info, key };
    return { ...info };
  });
}

/** The backend initBackend set, while it is still tfjs's active backend. */
export function currentBackend(): BackendInfo | undefined {
  return current && tf.getBackend() === engineName(current.info.name) ? { ...current.info } : undefined;
}

/**
 * Frees the backend initBackend started and wasm's thread pool (tf.removeBackend('wasm'); the pool's threads are
 * also unreferenced at start, so a process that forgets this still exits). Tensors on it become invalid.
 * initBackend can start it again.
 */
export function disposeBackend(): Promise<void> {
  return serial(async () => {
    if (tf.engine().registry.wasm) removeKeepingFactory('wasm');
    if (current && tf.engine().registry[engineName(current.info.name)])
      removeKeepingFactory(engineName(current.info.name));
    current = undefined;
  });
}
