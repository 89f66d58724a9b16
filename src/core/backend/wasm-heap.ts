import * as tf from '@tensorflow/tfjs-core';
import type { DataType, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The parts of tfjs-backend-wasm 4.22's BackendWasm that unir's kernels use (typed here because the package's
 * own .d.ts leans on @types/emscripten). Tensors live in the wasm heap at `memoryOffset`; the C++ side knows them
 * by a numeric id registered with `tfjs.registerTensor(id, size, offset)`.
 */
export interface WasmModule {
  cwrap(name: string, ret: string | null, args: string[]): (...args: unknown[]) => unknown;
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  wasmMemory?: WebAssembly.Memory; // threaded build
  asm?: { memory?: WebAssembly.Memory }; // single-thread build
  tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
}

interface TensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
  refCount: number;
}

export interface WasmBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): TensorData | undefined; has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  refCount(dataId: object): number;
  incRef(dataId: object): void;
}

export const asWasm = (backend: unknown) => backend as WasmBackend;

function data(b: WasmBackend, t: TensorInfo): TensorData {
  const d = b.dataIdMap.get(t.dataId);
  if (!d) throw new Error('unir wasm kernel: tensor is not on the wasm backend');
  return d;
}

/** Whether unir's wasm kernels can take these tensors: the wasm backend is active and every one is float32. */
export const onWasmFloat32 = (ts: readonly tf.TensorInfo[]) =>
  tf.getBackend() === 'wasm' && ts.every((t) => t.dtype === 'float32');

/**
 * A kernel output that is `x`'s data seen with `shape` (one more reference, no copy). Safe because tfjs tensors
 * are immutable (a Variable's assign swaps its dataId), as wasm's own Reshape and the cpu backend's Identity do.
 */
export function alias(backend: unknown, x: TensorInfo, shape: number[] = x.shape): TensorInfo {
  asWasm(backend).incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/** New float32 tensors of these shapes on the wasm heap (contents undefined: a kernel writes them all). */
export function newTensors(b: WasmBackend, ...shapes: number[][]): tf.Tensor[] {
  const engine = tf.engine();
  return shapes.map((s) => engine.makeTensorFromTensorInfo(b.makeOutput(s, 'float32')));
}

/** An int32 heap copy of `values` for the duration of f, which gets its byte address (row lists, slot maps). */
export function withInts<T>(b: WasmBackend, values: Int32Array, f: (at: number) => T): T {
  const t = tf.tensor1d(values, 'int32');
  try {
    return f(ptr(b, t));
  } finally {
    t.dispose();
  }
}

/** Byte address of a tensor's data in the heap (for unir's SIMD kernels, simd/simd-kernels.ts). */
export const ptr = (b: WasmBackend, t: TensorInfo) => data(b, t).memoryOffset;

/** The C++ id of a tensor. */
export const cppId = (b: WasmBackend, t: TensorInfo) => data(b, t).id;

/**
 * The current heap buffer. Take views AFTER every allocation (makeOutput, XNNPACK calls that allocate): growing
 * the single-thread heap detaches old views, and a shared heap grown elsewhere is not seen through an old one.
 */
function heap(b: WasmBackend): ArrayBufferLike {
  return (b.wasm.wasmMemory ?? b.wasm.asm?.memory)?.buffer ?? b.wasm.HEAPU8.buffer;
}

/** The whole heap as 4-byte words (float32 and int32 data alike), for copies that move bits: take it after allocations. */
export const heapWords = (b: WasmBackend) => new Int32Array(heap(b));

export function f32(b: WasmBackend, t: TensorInfo, size = tf.util.sizeFromShape(t.shape)): Float32Array {
  return new Float32Array(heap(b), data(b, t).memoryOffset, size);
}

export function i32(b: WasmBackend, t: TensorInfo): Int32Array {
  return new Int32Array(heap(b), data(b, t).memoryOffset, tf.util.sizeFromShape(t.shape));
}

/** Like f32/i32, by dtype (bool is stored as one byte). */
export function typed(b: WasmBackend, t: TensorInfo): Float32Array | Int32Array | Uint8Array {
  if (t.dtype === 'int32') return i32(b, t);
  if (t.dtype === 'bool') return new Uint8Array(heap(b), data(b, t).memoryOffset, tf.util.sizeFromShape(t.shape));
  return f32(b, t);
}

/**
 * A C++-only id for `size` float32 elements starting `elemOffset` elements into `t`: lets a C++ kernel read or write
 * one slice of a tensor without a copy. Release it with releaseView (never with disposeData: it owns no memory).
 */
export function view(b: WasmBackend, t: TensorInfo, elemOffset: number, size: number): number {
  const id = b.dataIdNextNumber++;
  b.wasm.tfjs.registerTensor(id, size, data(b, t).memoryOffset + elemOffset * 4);
  return id;
}

/** Forgets a view id; also drops any XNNPACK operator the C++ side cached for it. */
export function releaseView(b: WasmBackend, id: number): void {
  b.wasm.tfjs.disposeData(id);
}

/** Frees a temporary made inside a kernel (never one of the kernel's inputs). */
export function disposeTemp(b: WasmBackend, t: TensorInfo): void {
  b.disposeData(t.dataId);
}

/** Runs another wasm kernel from inside a kernel; the result is a temporary the caller owns. */
export function runWasmKernel(
  b: WasmBackend,
  name: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`unir wasm kernel: the wasm backend has no '${name}' kernel`);
  return k.kernelFunc({ inputs, backend: b as unknown as tf.KernelBackend, attrs }) as TensorInfo;
}

/** The same data seen with another shape (no copy, no new reference: do not dispose it). */
export const reshaped = (t: TensorInfo, shape: number[]): TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype });

/** An owned transpose of `t` by `perm` (the wasm Transpose kernel: XNNPACK, fast for rank ≤ 4). */
export function transposed(b: WasmBackend, t: TensorInfo, perm: number[]): TensorInfo {
  return runWasmKernel(b, 'Transpose', { x: t }, { perm });
}

/** Index into an input's batch of the `i`-th output batch element under numpy broadcasting. */
export function broadcastIndex(i: number, outShape: number[], inShape: number[]): number {
  let idx = 0;
  let stride = 1;
  for (let d = outShape.length - 1, e = inShape.length - 1; d >= 0; d--, e--) {
    const outDim = outShape[d]!;
    const coord = i % outDim;
    i = (i - coord) / outDim;
    if (e < 0) continue;
    const inDim = inShape[e]!;
    if (inDim !== 1) idx += coord * stride;
    stride *= inDim;
  }
  return idx;
}
