import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { minRowsToSplit, splitRun } from './simd/pool';
import { simdKernels } from './simd/simd-kernels';
import { newTensors, ptr, type WasmBackend, withInts } from './wasm-heap';

/**
 * An embedding table's gradient within one backward pass, kept as the rows the step touched, compact.
 *
 * Dense, every text pass through a (V, D) table makes a (V, D) gradient (V·D zeros, then its pieces' rows), and
 * tfjs's backward pass sums those with Add: per pass a (V, D) fill and a (V, D) sum, for a few thousand rows of
 * 32,770. Inside `withTableGrads` (trainStep's tf.variableGrads) the embedding bag's gradient is a (V, D) tensor whose
 * data holds only its touched rows, packed at the front in ascending order (compact row i = table row rows[i]; the
 * rest of the buffer is undefined): a pass writes a few thousand contiguous rows instead of scattering them over
 * 16 MB. Add merges two such gradients into a third (rows both touched: a + b; one: a's row, or +0 + b's); on the way
 * out each one still alive is made dense in place (rows moved to their places, +0 in the others) — or, with
 * `compact`, handed out as it is, for rows-aware readers (the global norm, AdamW: optim/heap-update.ts). Every
 * touched element is the sum of the same terms in the same order as the dense form, and the terms left out are the
 * +0 of passes that skipped the row: a pass's row is a sum started at +0, so it is never −0, and x + (+0) = x for
 * every such x. The same bits.
 *
 * Only gradients whose data nothing else shares are merged (refCount 1), and only leaf tables (tf.Variable) get
 * one: their gradient goes nowhere but into tfjs's sums and the returned map.
 */

interface TouchedRows {
  be: WasmBackend;
  vocab: number;
  d: number;
  /** (V) 1 + the compact row of each touched table row, 0 elsewhere */
  slot: Int32Array;
  /** the touched rows, ascending: compact row i holds table row rows[i] */
  rows: Int32Array;
}

let open: Map<object, TouchedRows> | undefined;

/** Gradients made as rows and sums merged, since the process started (tests check the path is taken). */
export const tableGradCounts = { kept: 0, merged: 0 };

/**
 * Runs f, a gradient computation (tf.variableGrads), with table gradients kept as compact rows; they are all dense
 * once it returns or throws — unless `compact` (and the table's D a multiple of 4): then the ones it returns stay
 * compact, and the caller reads them only through compactRowsOf-aware code (sumOfSquaresOnHeap, adamWOnHeap) or
 * makes them dense with denseTableGrad first. Wrap nothing else: a gradient read inside f is not dense yet.
 */
export function withTableGrads<T>(f: () => T, opts: { compact?: boolean } = {}): T {
  if (open) return f(); // nested: the outer call makes them dense
  const kept = new Map<object, TouchedRows>();
  open = kept;
  let done = false;
  try {
    const out = f();
    done = true;
    return out;
  } finally {
    open = undefined;
    for (const [dataId, r] of kept) {
      if (!r.be.dataIdMap.has(dataId)) continue;
      if (done && opts.compact && r.d % 4 === 0) handedOut.set(dataId, r);
      else densify(dataId, r);
    }
  }
}

/** Whether a bag's backward pass may return touched rows only (see the file comment). */
export const tableGradsOpen = (table: tf.Tensor) => open !== undefined && table instanceof tf.Variable;

/** The first index of ascending `rows` whose value is ≥ v. */
function lowerBound(rows: Int32Array, v: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The (V, D) gradient of a bag over `ids` (B·T·G values, pad skipped) from dy (B·T, D), as compact touched rows:
 * every piece's dy row summed in row order into its row, zeroed first (bag_bwd_range's sums without its V·D fill).
 */
export function bagGradRows(
  be: WasmBackend,
  dy: tf.Tensor,
  ids: tf.Tensor,
  values: Int32Array,
  shape: { vocab: number; d: number; g: number; padId: number },
): tf.Tensor {
  const { vocab, d, g, padId } = shape;
  const slot = new Int32Array(vocab);
  const rows = touchedRows(values, vocab, padId, slot);
  for (let i = 0; i < rows.length; i++) slot[rows[i]!] = i + 1;
  const [dtable] = newTensors(be, [vocab, d]) as [tf.Tensor];
  const [pt, pdy, pi] = [ptr(be, dtable), ptr(be, dy), ptr(be, ids)];
  withInts(be, slot, (ps) =>
    splitRun(be, 'bag_scatter_compact', vocab, 1, minRowsToSplit(d), (v0, nv) => [
      pdy,
      pi,
      pt,
      dy.size / d,
      g,
      d,
      padId,
      v0,
      v0 + nv,
      ps,
      lowerBound(rows, v0),
      lowerBound(rows, v0 + nv),
    ]),
  );
  open!.set(dtable.dataId, { be, vocab, d, slot, rows });
  tableGradCounts.kept++;
  return dtable;
}

/**
 * Add for two table gradients of withTableGrads: a and b merged into a new compact gradient, when each one's data is
 * its own. Null otherwise: any kept-as-rows operand is made dense first, and Add's own kernel runs.
 */
export function addTableGrads(be: WasmBackend, a: TensorInfo, b: TensorInfo): TensorInfo | null {
  if (!open) return null;
  const ra = open.get(a.dataId);
  const rb = open.get(b.dataId);
  if (!ra && !rb) return null;
  if (
    !ra ||
    !rb ||
    a.dataId === b.dataId ||
    be.refCount(a.dataId) !== 1 ||
    be.refCount(b.dataId) !== 1 ||
    ra.vocab !== rb.vocab ||
    ra.d !== rb.d
  ) {
    if (ra) densify(a.dataId, ra);
    if (rb) densify(b.dataId, rb);
    return null;
  }
  const { vocab, d } = ra;
  const rows = union(ra.rows, rb.rows);
  const [ia, ib] = [new Int32Array(rows.length), new Int32Array(rows.length)];
  const slot = new Int32Array(vocab);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    ia[k] = ra.slot[r]! - 1;
    ib[k] = rb.slot[r]! - 1;
    slot[r] = k + 1;
  }
  const out = be.makeOutput([vocab, d], 'float32');
  const [pa, pb, po] = [ptr(be, a), ptr(be, b), ptr(be, out)];
  withInts(be, ia, (pia) =>
    withInts(be, ib, (pib) =>
      splitRun(be, 'rows_merge', rows.length, 1, minRowsToSplit(d), (k0, n) => [pa, pb, po, pia, pib, k0, k0 + n, d]),
    ),
  );
  open.set(out.dataId, { be, vocab, d, slot, rows });
  tableGradCounts.merged++;
  return out;
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

/** The union of two ascending row lists, ascending. */
function union(x: Int32Array, y: Int32Array): Int32Array {
  const out = new Int32Array(x.length + y.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < x.length && j < y.length) {
    const [a, b] = [x[i]!, y[j]!];
    out[k++] = a <= b ? a : b;
    if (a <= b) i++;
    if (b <= a) j++;
  }
  while (i < x.length) out[k++] = x[i++]!;
  while (j < y.length) out[k++] = y[j++]!;
  return out.subarray(0, k);
}

/**
 * Table gradients made dense on the way out of withTableGrads, by data: the rows a pass touched (ascending); every
 * other row is +0. A gradient is never written after that (tfjs tensors are immutable; unir's in-place kernels
 * write parameters and optimizer moments, and table gradients only while withTableGrads is open), so the global
 * norm may read these rows alone (sumOfSquaresOnHeap).
 */
const zeroOutside = new WeakMap<object, { rows: Int32Array; d: number }>();

/** Table gradients withTableGrads({ compact: true }) handed out compact, by data. */
const handedOut = new WeakMap<object, TouchedRows>();

/** The rows of a dense table gradient outside which it is +0 (see zeroOutside), or undefined for any other tensor. */
export const touchedRowsOf = (t: TensorInfo) => zeroOutside.get(t.dataId);

/**
 * A compact table gradient's layout (withTableGrads({ compact: true })): compact row i of its data holds table row
 * rows[i]; slot[r] = i + 1 (0: the row is +0). Undefined for any other tensor, and once made dense.
 */
export function compactRowsOf(
  t: TensorInfo,
): { vocab: number; d: number; rows: Int32Array; slot: Int32Array } | undefined {
  const r = handedOut.get(t.dataId);
  return r && r.be.dataIdMap.has(t.dataId) ? r : undefined;
}

/** Makes a compact table gradient dense in place (anything else: nothing to do). */
export function denseTableGrad(t: TensorInfo): void {
  const r = handedOut.get(t.dataId);
  if (r && r.be.dataIdMap.has(t.dataId)) densify(t.dataId, r);
}

/** In place: compact rows moved to their places (kernels.c rows_expand), the rows no pass touched = +0 (rows_finish). */
function densify(dataId: object, r: TouchedRows): void {
  open?.delete(dataId);
  handedOut.delete(dataId);
  zeroOutside.set(dataId, { rows: r.rows, d: r.d });
  const { be, d, vocab } = r;
  const p = be.dataIdMap.get(dataId)!.memoryOffset;
  withInts(be, r.rows, (pr) => simdKernels(be).rows_expand(p, pr, r.rows.length, d));
  withInts(be, r.slot, (pt) =>
    splitRun(be, 'rows_finish', vocab, 1, minRowsToSplit(d), (v0, nv) => [p, pt, v0, v0 + nv, d]),
  );
}
