import { PLAIN_WASM, SHARED_WASM } from './kernels-wasm';
import type { WasmBackend } from '../wasm-heap';

/**
 * unir's own wasm SIMD kernels (kernels.c), instantiated over tfjs-backend-wasm's memory: they take heap byte
 * addresses (wasm-heap.ts ptr) and sizes in floats, and never allocate. Single-threaded.
 */
export interface SimdKernels {
  /** Σ x² over n floats at x, in float64. */
  sumsq(x: number, n: number): number;
  /** AdamW over n parameters: reads p, g, m, v, writes p1, m1, v1 (see kernels.c for the formula). */
  adamw(p: number, g: number, m: number, v: number, p1: number, m1: number, v1: number, n: number,
    beta1: number, beta2: number, c1: number, c2: number, eps: number, lr: number, bc1: number, bc2: number, keep: number, scale: number): void;
  /** c(M, N) = a·b; a's (i, k) at a + 4·(i·sai + k·sak); b (K, N) and c row-major. */
  gemm(a: number, sai: number, sak: number, b: number, c: number, m: number, n: number, k: number): void;
}

const modules: Partial<Record<'plain' | 'shared', WebAssembly.Module>> = {};
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

function memoryOf(be: WasmBackend): WebAssembly.Memory {
  const mem = be.wasm.wasmMemory ?? be.wasm.asm?.memory;
  if (!mem) throw new Error('unir simd kernels: cannot find the wasm backend\'s memory (tfjs-backend-wasm layout changed?)');
  return mem;
}

/** The kernels bound to this backend's memory (compiled once per process, instantiated once per memory). */
export function simdKernels(be: WasmBackend): SimdKernels {
  const mem = memoryOf(be);
  let k = instances.get(mem);
  if (!k) {
    const kind = typeof SharedArrayBuffer !== 'undefined' && mem.buffer instanceof SharedArrayBuffer ? 'shared' : 'plain';
    const mod = (modules[kind] ??= new WebAssembly.Module(Buffer.from(kind === 'shared' ? SHARED_WASM : PLAIN_WASM, 'base64')));
    k = new WebAssembly.Instance(mod, { env: { memory: mem } }).exports as unknown as SimdKernels;
    instances.set(mem, k);
  }
  return k;
}
