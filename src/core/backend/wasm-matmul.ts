import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { gemmBatch } from './simd/pool';
import { gemmPack, simdKernels } from './simd/simd-kernels';
import { asWasm, broadcastIndex, disposeTemp, f32, ptr, reshaped, transposed, type WasmBackend } from './wasm-heap';

/**
 * Fast matmul on the wasm backend. tfjs-backend-wasm 4.22 sends a BatchMatMul to XNNPACK only when neither operand
 * is transposed and the batch is 1; everything else (every matmul gradient, attention products) falls into a
 * naive C++ loop at 1–2 GFLOP/s, which also adds a fused bias/relu once per 48-wide block of the inner dimension
 * (wrong values when it is over 48). Every product runs on unir's gemm instead (simd/kernels.c, the native addon
 * where it runs): it reads a transposed left operand in place, runs batches slice by slice with no per-call setup,
 * and is shared with the gemm pool's threads (simd/pool.ts) without reordering a sum, so a product has the same
 * bits on any thread count. (Large products once went to XNNPACK on one thread: ≈ 30 GFLOP/s at 1024³ where the
 * gemm now gives ≈ 40 in wasm and ≈ 100 native on Zen 4 — and other bits than on two threads.) A transposed right
 * operand is materialised first (wasm Transpose) and a batch against a shared right operand is folded into one
 * tall matmul. xnnMatMul stays for the conv filter gradient's fallback kernel (Conv2DBackpropFilter.ts).
 */

type CBatchMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: number,
  transposeB: number,
  outId: number,
) => void;

let cBatchMatMul: CBatchMatMul | undefined;

/** setupFunc of every kernel that calls xnnMatMul (runs each time the wasm backend is set). */
export function setupXnnMatMul(backend: unknown): void {
  cBatchMatMul = asWasm(backend).wasm.cwrap('BatchMatMul', null, [
    'number',
    'array',
    'number',
    'number',
    'array',
    'number',
    'number',
    'number',
    'number',
  ]) as CBatchMatMul;
}

const shapeBytes = (s: number[]) => new Uint8Array(new Int32Array(s).buffer);

/**
 * out(M, N) = a(M, K) @ b(K, N) by XNNPACK, all three row-major float32 on the heap, given by C++ id (a tensor's
 * or a view's). XNNPACK packs b into an operator cached on b's id until that id is disposed.
 */
export function xnnMatMul(aId: number, bId: number, outId: number, m: number, k: number, n: number): void {
  if (!cBatchMatMul) throw new Error('unir wasm matmul used before the wasm backend was set up');
  cBatchMatMul(aId, shapeBytes([1, m, k]), 3, bId, shapeBytes([1, k, n]), 3, 0, 0, outId);
}

export interface MatMulShapes {
  m: number;
  k: number;
  n: number;
  batchA: number;
  batchB: number;
  outerA: number[];
  outerB: number[];
  outOuter: number[];
  outShape: number[];
}

/** Shapes of a (batched) matmul; throws tfjs's own message when inner dimensions differ. */
export function matMulShapes(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatMulShapes {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  tf.util.assert(
    k === kb,
    () =>
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ` +
      `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
  );
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outOuter = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  return {
    m,
    k,
    n,
    outerA,
    outerB,
    outOuter,
    batchA: tf.util.sizeFromShape(outerA),
    batchB: tf.util.sizeFromShape(outerB),
    outShape: [...outOuter, m, n],
  };
}

/** A row-major, untransposed copy of a (batch, rows, cols)-stored operand when it was flagged transposed. */
function untransposed(
  b: WasmBackend,
  t: TensorInfo,
  batch: number,
  transpose: boolean,
): { t: TensorInfo; owned: boolean } {
  if (!transpose) return { t, owned: false };
  const r = t.shape.length;
  const x3 = reshaped(t, [batch, t.shape[r - 2]!, t.shape[r - 1]!]);
  return { t: transposed(b, x3, [0, 2, 1]), owned: true };
}

/** matmul(a, b) with numpy batch broadcasting, as tf.matMul; returns a new tensor the caller owns. */
export function fastBatchMatMul(
  backendIn: unknown,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo {
  const be = asWasm(backendIn);
  const s = matMulShapes(a, b, transposeA, transposeB);
  const out = be.makeOutput(s.outShape, 'float32');
  const batch = tf.util.sizeFromShape(s.outOuter);
  if (batch * s.m * s.n === 0) return out;
  if (s.k === 0) {
    f32(be, out).fill(0);
    return out;
  }
  const B = untransposed(be, b, s.batchB, transposeB); // (batchB, K, N)
  simdMatMul(be, a, B.t, out, s, transposeA);
  if (B.owned) disposeTemp(be, B.t);
  return out;
}

/** out = a @ b by unir's gemm: a (batchA, M, K), or (batchA, K, M) read transposed in place; b (batchB, K, N). */
function simdMatMul(
  be: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  out: TensorInfo,
  s: MatMulShapes,
  transposeA: boolean,
): void {
  const [pa, pb, pc] = [ptr(be, a), ptr(be, b), ptr(be, out)];
  const [sai, sak] = transposeA ? [1, s.m] : [s.k, 1];
  const batch = tf.util.sizeFromShape(s.outOuter);
  const [mk, kn, mn] = [s.m * s.k, s.k * s.n, s.m * s.n];
  // a batch against a shared b is one tall product; a regular batch is one gemm_batch call
  if (s.batchB === 1 && !transposeA) return gemmBatch(be, pa, sai, sak, pb, pc, s.batchA * s.m, s.n, s.k, 1, 0, 0, mn);
  if (sameOuter(s))
    return gemmBatch(
      be,
      pa,
      sai,
      sak,
      pb,
      pc,
      s.m,
      s.n,
      s.k,
      batch,
      s.batchA === 1 ? 0 : mk,
      s.batchB === 1 ? 0 : kn,
      mn,
    );
  const gemm = simdKernels(be).gemm;
  const pack = gemmPack(be);
  for (let i = 0; i < batch; i++) {
    const ia = broadcastIndex(i, s.outOuter, s.outerA);
    const ib = broadcastIndex(i, s.outOuter, s.outerB);
    gemm(pa + 4 * ia * mk, sai, sak, pb + 4 * ib * kn, s.n, pc + 4 * i * mn, s.n, s.m, s.n, s.k, pack);
  }
}

/** Whether each operand's batch is either the whole output batch in the same layout or a single shared one. */
function sameOuter(s: MatMulShapes): boolean {
  const same = (o: number[]) =>
    tf.util.sizeFromShape(o) === 1 || (o.length === s.outOuter.length && o.every((d, i) => d === s.outOuter[i]));
  return same(s.outerA) && same(s.outerB);
}
