import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { minRowsToSplit, splitRun, type PoolOp } from './simd/pool';
import { alias, newTensors, ptr, type WasmBackend } from './wasm-heap';

/**
 * An embedding table's gradient within one backward pass, kept as the rows the step touched.
 *
 * Dense, every text pass through a (V, D) table makes a (V, D) gradient (V·D zeros, then its pieces' rows), and
 * tfjs's backward pass sums those with Add: per pass a (V, D) fill and a (V, D) sum, for a few thousand rows of
 * 32,770. Inside `withTableGrads` (trainStep's tf.variableGrads) the embedding bag's gradient zeroes and fills only
 * its touched rows and leaves the others undefined; Add sums two such gradients over the second one's rows into the
 * first one's buffer (a row new to the first is zeroed first: +0 + b, as dense); and on the way out each one still
 * alive gets +0 in the rows no pass touched. Every touched element is the sum of the same terms in the same order as
 * the dense form, and the terms left out are the +0 of passes that skipped the row: a pass's row is a sum started
 * at +0, so it is never −0, and x + (+0) = x for every such x. The same bits.
 *
 * Only a gradient whose data nothing else shares is summed in place (refCount 1), and only leaf tables
 * (tf.Variable) get one: their gradient goes nowhere but into tfjs's sums and the returned map.
 */

interface TouchedRows {
  be: WasmBackend;
  vocab: number;
  d: number;
  /** (V) 1 where a summed pass touched the row */
  touched: Int32Array;
  /** the touched rows, ascending */
  rows: Int32Array;
}

let open: Map<object, TouchedRows> | undefined;

/** Gradients made as rows and sums done in place, since the process started (tests check the path is taken). */
export const tableGradCounts = { kept: 0, summedInPlace: 0 };

/**
 * Runs f, a gradient computation (tf.variableGrads), with table gradients kept as rows; they are all dense once it
 * returns or throws. Wrap nothing else: a gradient read inside f is not dense yet.
 */
export function withTableGrads<T>(f: () => T): T {
  if (open) return f(); // nested: the outer call makes them dense
  const kept = new Map<object, TouchedRows>();
  open = kept;
  try {
    return f();
  } finally {
    open = undefined;
    for (const [dataId, r] of kept) if (r.be.dataIdMap.has(dataId)) densify(dataId, r);
  }
}

/** Whether a bag's backward pass may return touched rows only (see the file comment). */
export const tableGradsOpen = (table: tf.Tensor) => open !== undefined && table instanceof tf.Variable;

/** Runs a row-list kernel (zero_rows, rows_add) over `rows`, shared with the pool by list ranges. */
function overRows(
  be: WasmBackend,
  op: Extract<PoolOp, 'zero_rows' | 'rows_add'>,
  rows: Int32Array,
  d: number,
  args: (list: number, n: number) => number[],
): void {
  if (rows.length === 0) return;
  const list = tf.tensor1d(rows, 'int32');
  try {
    const p = ptr(be, list);
    splitRun(be, op, rows.length, 1, minRowsToSplit(d), (s0, n) => args(p + 4 * s0, n));
  } finally {
    list.dispose();
  }
}

/**
 * The (V, D) gradient of a bag over `ids` (B·T·G values, pad skipped) from dy (B·T, D), as touched rows: each
 * touched row zeroed, then every piece's dy row added in row order (bag_bwd_range's sums without its V·D fill).
 */
export function bagGradRows(
  be: WasmBackend,
  dy: tf.Tensor,
  ids: tf.Tensor,
  values: Int32Array,
  shape: { vocab: number; d: number; g: number; padId: number },
): tf.Tensor {
  const { vocab, d, g, padId } = shape;
  const touched = new Int32Array(vocab);
  const rows = touchedRows(values, vocab, padId, touched);
  const [dtable] = newTensors(be, [vocab, d]) as [tf.Tensor];
  const pt = ptr(be, dtable);
  overRows(be, 'zero_rows', rows, d, (list, n) => [pt, list, n, d]);
  const [pdy, pi] = [ptr(be, dy), ptr(be, ids)];
  splitRun(be, 'bag_scatter_range', vocab, 1, minRowsToSplit(d), (v0, nv) => [
    pdy,
    pi,
    pt,
    dy.size / d,
    g,
    d,
    padId,
    v0,
    v0 + nv,
  ]);
  open!.set(dtable.dataId, { be, vocab, d, touched, rows });
  tableGradCounts.kept++;
  return dtable;
}

/**
 * Add for two table gradients of withTableGrads: b summed into a's buffer over b's rows, when a's data is its own
 * (the result is a's data, one more reference). Null otherwise: any kept-as-rows operand is made dense first, and
 * Add's own kernel runs.
 */
export function addTableGrads(be: WasmBackend, a: TensorInfo, b: TensorInfo): TensorInfo | null {
  if (!open) return null;
  const ra = open.get(a.dataId);
  const rb = open.get(b.dataId);
  if (!ra && !rb) return null;
  if (!ra || !rb || a.dataId === b.dataId || be.refCount(a.dataId) !== 1 || ra.vocab !== rb.vocab || ra.d !== rb.d) {
    if (ra) densify(a.dataId, ra);
    if (rb) densify(b.dataId, rb);
    return null;
  }
  const d = ra.d;
  const [pa, pb] = [ptr(be, a), ptr(be, b)];
  const fresh = rb.rows.filter((r) => ra.touched[r] === 0); // rows new to a: +0 first (the dense sum's +0 + b)
  overRows(be, 'zero_rows', fresh, d, (list, n) => [pa, list, n, d]);
  overRows(be, 'rows_add', rb.rows, d, (list, n) => [pa, pb, list, n, d, d]);
  for (const r of fresh) ra.touched[r] = 1;
  ra.rows = union(ra.rows, fresh);
  tableGradCounts.summedInPlace++;
  return alias(be, a);
}

/**
 * The distinct ids in `values` (pad and ids outside [0, vocab) left out), ascending; `touched[id]` set to 1 for each.
 * Read off a bitmap word by word: sorting a few thousand rows cost ≈ 4× the rest of the pass.
 */
export function touchedRows(values: Int32Array, vocab: number, padId: number, touched: Int32Array): Int32Array {
  const bits = new Uint32Array((vocab + 31) >>> 5);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const id = values[i]!;
    if (id !== padId && id >= 0 && id < vocab && touched[id] === 0) {
      touched[id] = 1;
      bits[id >>> 5]! |= 1 << (id & 31);
      n++;
    }
  }
  const rows = new Int32Array(n);
  for (let w = 0, k = 0; w < bits.length; w++)
    for (let x = bits[w]!; x !== 0; x &= x - 1) rows[k++] = (w << 5) + 31 - Math.clz32(x & -x);
  return rows;
}

/** Two ascending, disjoint row lists merged. */
function union(x: Int32Array, y: Int32Array): Int32Array {
  const out = new Int32Array(x.length + y.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < x.length && j < y.length) out[k++] = x[i]! < y[j]! ? x[i++]! : y[j++]!;
  while (i < x.length) out[k++] = x[i++]!;
  while (j < y.length) out[k++] = y[j++]!;
  return out;
}

/**
 * Table gradients made dense on the way out of withTableGrads, by data: the rows a pass touched (ascending); every
 * other row is +0. A gradient is never written after that (tfjs tensors are immutable; unir's in-place kernels
 * write parameters and optimizer moments, and table gradients only while withTableGrads is open), so the global
 * norm may read these rows alone (sumOfSquaresOnHeap).
 */
const zeroOutside = new WeakMap<object, { rows: Int32Array; d: number }>();

/** The rows of a table gradient outside which it is +0 (see zeroOutside), or undefined for any other tensor. */
export const touchedRowsOf = (t: TensorInfo) => zeroOutside.get(t.dataId);

/** In place (kernels.c rows_finish): the rows no pass touched = +0. */
function densify(dataId: object, r: TouchedRows): void {
  open?.delete(dataId);
  zeroOutside.set(dataId, { rows: r.rows, d: r.d });
  const { be, d, vocab } = r;
  const p = be.dataIdMap.get(dataId)!.memoryOffset;
  const touched = tf.tensor1d(r.touched, 'int32');
  try {
    const pt = ptr(be, touched);
    splitRun(be, 'rows_finish', vocab, 1, minRowsToSplit(d), (v0, nv) => [p, pt, v0, v0 + nv, d]);
  } finally {
    touched.dispose();
  }
}
