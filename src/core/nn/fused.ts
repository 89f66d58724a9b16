import * as tf from '@tensorflow/tfjs-core';
import { biasAdd, colSum, gemm, minRowsToSplit, splitLimits, splitRun, splitRunScratch } from '../backend/simd/pool'; // kernels.c, shared with the pool's threads
import { simdKernels, type SimdKernels } from '../backend/simd/simd-kernels';
import { asWasm, newTensors, onWasmFloat32, ptr, type WasmBackend } from '../backend/wasm-heap';
import { bagGradRows, tableGradsOpen } from '../backend/table-grad';
import type { Packing } from './packing';
import { packRowsAt, unpackRowsAt } from './row-copies';

/**
 * Layer norm, GELU and the embedding bag as single SIMD passes (backend/simd/kernels.c) with hand-written
 * gradients, on the wasm backend. Composed of tfjs ops they cost ≈ 10 (forward) + ≈ 20 (backward) kernel launches
 * each, and tfjs's engine spends ≈ 20–40 µs per launch; one fused op is one forward and one backward pass. Each
 * function returns null when the backend is not wasm or a tensor is not float32: the caller then composes tfjs ops
 * (the reference the tests compare these against, on the cpu backend).
 */

interface Ctx {
  be: WasmBackend;
  k: SimdKernels;
  p: (t: tf.TensorInfo) => number;
}
function ctx(): Ctx {
  const be = asWasm(tf.backend());
  return { be, k: simdKernels(be), p: (t) => ptr(be, t) };
}

type Grad = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
/** tf.customGrad with typed arguments: f(...inputs, save) → { value, gradFunc }. */
export const custom = (f: (...args: never[]) => { value: tf.Tensor; gradFunc: Grad }) =>
  tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);

/** Rows per partial sum of the layer norm's dgamma / dbeta: fixed, so the sums do not depend on the thread count. */
const LN_CHUNK = 64;

/**
 * Row counts of the separate batches that one call's rows hold, in the order they would have run one by one (see
 * TransformerStack.applyMany). Rows are computed alone, so only a weight's gradient (a sum over rows) needs them:
 * each batch's sum is made as its own pass makes it, and the sums are added as tfjs's backward pass adds the
 * gradients of separate passes, the last one first: ((g_S + g_S−1) + …) + g_1. The same bits as separate passes.
 */
export type RowSegments = readonly number[];

/**
 * Weight gradients `outs` summed over segments as separate passes sum them: `each(r0, n, dst)` writes the gradients
 * of rows [r0, r0 + n) to the byte addresses dst (one per output). Without segments, one call on all rows.
 */
function segmentSums(
  c: Ctx,
  rows: number,
  segs: RowSegments | undefined,
  outs: tf.Tensor[],
  each: (r0: number, n: number, dst: number[]) => void,
): void {
  if (!segs || segs.length < 2)
    return each(
      0,
      rows,
      outs.map((o) => c.p(o)),
    );
  if (segs.reduce((a, n) => a + n, 0) !== rows) throw new Error(`segments of ${segs.join('+')} rows, not ${rows}`);
  const starts = segs.map((_, i) => segs.slice(0, i).reduce((a, n) => a + n, 0));
  const last = segs.length - 1;
  each(
    starts[last]!,
    segs[last]!,
    outs.map((o) => c.p(o)),
  );
  const tmp = newTensors(c.be, ...outs.map((o) => o.shape));
  for (let i = last - 1; i >= 0; i--) {
    each(
      starts[i]!,
      segs[i]!,
      tmp.map((t) => c.p(t)),
    );
    outs.forEach((o, j) => c.k.vadd(c.p(o), c.p(tmp[j]!), c.p(o), o.size)); // tfjs's add(accumulated, this one)
  }
  tf.dispose(tmp);
}

/**
 * (x - μ)/√(σ² + eps)·γ + β over the last axis; x (..., D), gamma, beta (D). `segs`: the row counts of separate
 * batches in x, whose dgamma / dbeta are summed as separate passes sum them (RowSegments).
 */
export function fusedLayerNorm<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  segs?: RowSegments,
): T | null {
  if (!onWasmFloat32([x, gamma, beta])) return null;
  const d = x.shape[x.rank - 1]!;
  const rows = d === 0 ? 0 : x.size / d;
  const minRows = minRowsToSplit(d); // rows from which the threads share the work
  const op = custom((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const c = ctx();
    const [y, mean, rstd] = newTensors(c.be, xi.shape, [rows], [rows]) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const [px, pg, pb, py, pm, pr] = [c.p(xi), c.p(g), c.p(b), c.p(y), c.p(mean), c.p(rstd)];
    splitRun(c.be, 'ln_fwd', rows, 1, minRows, (r0, n) => [
      px + 4 * r0 * d,
      pg,
      pb,
      py + 4 * r0 * d,
      pm + 4 * r0,
      pr + 4 * r0,
      n,
      d,
      eps,
    ]);
    save([xi, g, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, ms, rs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const k = ctx();
        const [dx, dg, db] = newTensors(k.be, xs.shape, [d], [d]) as tf.Tensor[];
        const [pdy, px, pg, pm, pr, pdx] = [dy, xs, gs, ms, rs, dx!].map((t) => k.p(t)) as number[];
        // dx row by row; dgamma / dbeta from chunks of LN_CHUNK rows counted from each segment's first row
        segmentSums(k, rows, segs, [dg!, db!], (r0, n, [dgTo, dbTo]) => {
          const chunks = Math.ceil(n / LN_CHUNK);
          const [parts] = newTensors(k.be, [2, Math.max(chunks, 1), d]) as [tf.Tensor];
          const pgp = k.p(parts);
          const pbp = pgp + 4 * chunks * d;
          const at = (c0: number) => r0 + c0 * LN_CHUNK; // the chunk's first row
          splitRun(k.be, 'ln_bwd_chunks', chunks, 1, Math.ceil(minRows / LN_CHUNK), (c0, nc) => [
            pdy! + 4 * at(c0) * d,
            px! + 4 * at(c0) * d,
            pg!,
            pm! + 4 * at(c0),
            pr! + 4 * at(c0),
            pdx! + 4 * at(c0) * d,
            pgp + 4 * c0 * d,
            pbp + 4 * c0 * d,
            Math.min(nc * LN_CHUNK, n - c0 * LN_CHUNK),
            d,
            LN_CHUNK,
          ]);
          colSum(k.be, pgp, dgTo!, chunks, d); // the chunk sums, in order
          colSum(k.be, pbp, dbTo!, chunks, d);
          parts.dispose();
        });
        return [dx!, dg!, db!];
      },
    };
  });
  return op(x, gamma, beta) as T;
}

/** tanh-approximate GELU, x·σ(2u) with u = √(2/π)(x + 0.044715x³). */
export function fusedGelu<T extends tf.Tensor>(x: T): T | null {
  if (!onWasmFloat32([x])) return null;
  const op = custom((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    const c = ctx();
    const [y] = newTensors(c.be, xi.shape) as [tf.Tensor];
    const [px, py] = [c.p(xi), c.p(y)];
    splitRun(c.be, 'gelu_fwd', xi.size, 4, splitLimits.elements, (s0, n) => [px + 4 * s0, py + 4 * s0, n]);
    save([xi]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const k = ctx();
        const [dx] = newTensors(k.be, saved[0]!.shape) as [tf.Tensor];
        const [pdy, px, pdx] = [k.p(dy), k.p(saved[0]!), k.p(dx)];
        splitRun(k.be, 'gelu_bwd', dx.size, 4, splitLimits.elements, (s0, n) => [
          pdy + 4 * s0,
          px + 4 * s0,
          pdx + 4 * s0,
          n,
        ]);
        return [dx];
      },
    };
  });
  return op(x) as T;
}

/**
 * Bag-of-pieces lookup: ids (B, T, G) int32 → Σ_g table[ids] over pieces ≠ padId → (B, T, D). Null also when an id
 * is outside [0, V) (the composed gather then reports it).
 */
export function fusedEmbeddingBag(table: tf.Tensor2D, ids: tf.Tensor3D, padId: number): tf.Tensor3D | null {
  if (!onWasmFloat32([table]) || ids.dtype !== 'int32') return null;
  const [vocab, d] = table.shape;
  const [b, t, g] = ids.shape;
  const values = ids.dataSync() as Int32Array; // (B·T·G) on wasm: a view copy of a few thousand ints
  for (let i = 0; i < values.length; i++)
    if ((values[i]! < 0 || values[i]! >= vocab) && values[i] !== padId) return null;
  const op = custom((tab: tf.Tensor, save: tf.GradSaveFunc) => {
    const c = ctx();
    const [out] = newTensors(c.be, [b, t, d]) as [tf.Tensor];
    const [pt, pi, po] = [c.p(tab), c.p(ids), c.p(out)];
    const minRows = minRowsToSplit(g * d);
    splitRun(c.be, 'bag_fwd', b * t, 1, minRows, (r0, n) => [pt, pi + 4 * r0 * g, po + 4 * r0 * d, n, g, d, padId]);
    save([ids]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const k = ctx();
        // inside trainStep's gradients: the gradient as its touched rows, compact (backend/table-grad.ts)
        if (tableGradsOpen(table)) return [bagGradRows(k.be, dy, saved[0]!, values, { vocab, d, g, padId })];
        const [dtable] = newTensors(k.be, [vocab, d]) as [tf.Tensor];
        const [pdy, pi, pt] = [k.p(dy), k.p(saved[0]!), k.p(dtable)];
        // by vocabulary range: each thread zeroes and fills its own rows of the table
        splitRun(k.be, 'bag_bwd_range', vocab, 1, minRowsToSplit(d), (v0, nv) => [
          pdy,
          pi,
          pt,
          b * t,
          g,
          d,
          padId,
          v0,
          v0 + nv,
        ]);
        return [dtable];
      },
    };
  });
  return op(table) as tf.Tensor3D;
}

/**
 * Weights of at least this many floats go through tf.matMul: the same gemm, with the bias as an op of its own. (The
 * limit once sent them to XNNPACK; kept, so that such layers keep their results.)
 */
const LINEAR_MAX_WEIGHT = 1 << 18;

/** Whether fusedLinear takes a float32 (in, out) weight on the current backend (and so row segments). */
export const linearFuses = (inDim: number, outDim: number) =>
  tf.getBackend() === 'wasm' && inDim > 0 && outDim > 0 && inDim * outDim < LINEAR_MAX_WEIGHT;

/**
 * y = x·W (+ b) over the last axis, x (..., in), W (in, out), b (out): one gemm + bias pass forward; backward
 * dX = dY·Wᵀ, dW = Xᵀ·dY (x read transposed in place), db = Σ_rows dY — 2 ops where the composed form runs ≈ 8.
 */
export function fusedLinear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor, segs?: RowSegments): tf.Tensor | null {
  if (!onWasmFloat32([x, w, ...(b ? [b] : [])]) || w.rank !== 2) return null;
  const [inDim, outDim] = w.shape as [number, number];
  if (!linearFuses(inDim, outDim) || x.shape[x.rank - 1] !== inDim) return null;
  const rows = x.size / inDim;
  const outShape = [...x.shape.slice(0, -1), outDim];
  const forward = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor | undefined, save: tf.GradSaveFunc) => {
    const c = ctx();
    const [y] = newTensors(c.be, outShape) as [tf.Tensor];
    gemm(c.be, c.p(xi), inDim, 1, c.p(wi), outDim, c.p(y), outDim, rows, outDim, inDim);
    if (bi) biasAdd(c.be, c.p(y), c.p(bi), rows, outDim);
    save([xi, wi]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor, tf.Tensor];
        const k = ctx();
        const [dx, dw, wT, db] = newTensors(
          k.be,
          xs.shape,
          [inDim, outDim],
          [outDim, inDim],
          ...(bi ? [[outDim]] : []),
        ) as tf.Tensor[];
        k.k.transpose(k.p(ws), k.p(wT!), inDim, outDim);
        gemm(k.be, k.p(dy), outDim, 1, k.p(wT!), inDim, k.p(dx!), inDim, rows, inDim, outDim); // dY (rows, out) · Wᵀ (out, in)
        wT!.dispose();
        const [px, pdy] = [k.p(xs), k.p(dy)];
        segmentSums(k, rows, segs, db ? [dw!, db] : [dw!], (r0, n, [dwTo, dbTo]) => {
          gemm(k.be, px + 4 * r0 * inDim, 1, inDim, pdy + 4 * r0 * outDim, outDim, dwTo!, outDim, inDim, outDim, n); // Xᵀ (in, n) · dY (n, out)
          if (dbTo !== undefined) colSum(k.be, pdy + 4 * r0 * outDim, dbTo, n, outDim);
        });
        return db ? [dx!, dw!, db] : [dx!, dw!];
      },
    };
  };
  if (b)
    return custom((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => forward(xi, wi, bi, save))(
      x,
      w,
      b,
    );
  return custom((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => forward(xi, wi, undefined, save))(x, w);
}

/** Rows from which attention is split over the pool's threads (whole rows each): ≥ 2, and splitLimits.macs of work. */
const attnMinRows = (tq: number, tk: number, dim: number) =>
  Math.max(2, Math.ceil(splitLimits.macs / (2 * tq * tk * dim)));

/** Where the attention core reads and writes (byte addresses): q (B, Tq, H), k and v (B, Tk, H), keyMask (B, Tk) or 0. */
interface AttnPtrs {
  q: number;
  k: number;
  v: number;
  mask: number;
}
/** A batch's shape for the attention core: B, Tq, Tk, H and the heads. */
interface AttnShape {
  b: number;
  tq: number;
  tk: number;
  dim: number;
  heads: number;
}

/** attn_fwd over a batch, shared by whole rows with the pool: writes out (B, Tq, H) at `out`; returns p (B, h, Tq, Tk). */
function attnForward(c: Ctx, at: AttnPtrs, out: number, s: AttnShape): tf.Tensor {
  const { b, tq, tk, dim, heads } = s;
  const dh = dim / heads;
  const minRows = attnMinRows(tq, tk, dim);
  const per = Math.max(dh * tk, 1); // scratch floats per thread
  const [p] = newTensors(c.be, [b, heads, tq, tk]) as [tf.Tensor];
  const pp = c.p(p);
  splitRunScratch(c.be, 'attn_fwd', b, 1, minRows, per, (b0, nb, _part, ps) => [
    at.q + 4 * b0 * tq * dim,
    at.k + 4 * b0 * tk * dim,
    at.v + 4 * b0 * tk * dim,
    at.mask ? at.mask + 4 * b0 * tk : 0,
    out + 4 * b0 * tq * dim,
    pp + 4 * b0 * heads * tq * tk,
    ps,
    ...attnTail(nb, s),
  ]);
  return p;
}

/** attn_bwd over a batch: dy at `dy`, the forward's inputs and p → dq, dk, dv written at `d`. */
function attnBackward(c: Ctx, dy: number, at: AttnPtrs, p: tf.Tensor, d: Omit<AttnPtrs, 'mask'>, s: AttnShape): void {
  const { b, tq, tk, dim, heads } = s;
  const dh = dim / heads;
  const minRows = attnMinRows(tq, tk, dim);
  const per = Math.max(dh * tk + tq * tk, 1);
  const pp = c.p(p);
  const [q0, k0] = [tq * dim, tk * dim];
  splitRunScratch(c.be, 'attn_bwd', b, 1, minRows, per, (b0, nb, _part, ps) => [
    dy + 4 * b0 * q0,
    at.q + 4 * b0 * q0,
    at.k + 4 * b0 * k0,
    at.v + 4 * b0 * k0,
    pp + 4 * b0 * heads * tq * tk,
    d.q + 4 * b0 * q0,
    d.k + 4 * b0 * k0,
    d.v + 4 * b0 * k0,
    ps,
    ...attnTail(nb, s),
  ]);
}

/** attn_fwd / attn_bwd's last arguments: nb batch rows, Tq, Tk, heads, dh, the scale 1/√dh. */
const attnTail = (nb: number, s: AttnShape) => {
  const dh = s.dim / s.heads;
  return [nb, s.tq, s.tk, s.heads, dh, 1 / Math.sqrt(dh)];
};

/**
 * The attention core of `heads` heads side by side in the last axis: q (B, Tq, H) (projected, not yet scaled),
 * k, v (B, Tk, H), keyMask (B, Tk) 1 = attend / 0 = padding → softmax(q_h·k_hᵀ/√dh + mask bias)·v_h, (B, Tq, H).
 * No head split/merge transposes; the probabilities (B, h, Tq, Tk) are kept for the backward pass. No dropout:
 * the caller composes tfjs ops when attention dropout is on.
 */
export function fusedAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  heads: number,
  keyMask?: tf.Tensor2D,
): tf.Tensor3D | null {
  if (!onWasmFloat32([q, k, v, ...(keyMask ? [keyMask] : [])])) return null;
  const [b, tq, dim] = q.shape;
  const shape: AttnShape = { b, tq, tk: k.shape[1], dim, heads };
  const op = custom((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
    const c = ctx();
    const [out] = newTensors(c.be, [b, tq, dim]) as [tf.Tensor];
    const p = attnForward(c, { q: c.p(qi), k: c.p(ki), v: c.p(vi), mask: keyMask ? c.p(keyMask) : 0 }, c.p(out), shape);
    save([qi, ki, vi, p]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qs, ks, vs, ps] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const g = ctx();
        const [dq, dk, dv] = newTensors(g.be, qs.shape, ks.shape, vs.shape) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const at = { q: g.p(qs), k: g.p(ks), v: g.p(vs), mask: 0 };
        attnBackward(g, g.p(dy), at, ps, { q: g.p(dq), k: g.p(dk), v: g.p(dv) }, shape);
        return [dq, dk, dv];
      },
    };
  });
  return op(q, k, v) as tf.Tensor3D;
}

/** A batch's rows among several in one (N, H) tensor (TransformerStack.applyMany): B, T, its mask and packing. */
export interface AttnSegment {
  rows: number; // its real tokens (packed), or B·T without padding
  batch: number; // B
  length: number; // T
  keyMask: tf.Tensor2D; // (B, T)
  packing: Packing | null; // null: no padding, the rows are the (B, T, H) positions in order
}

/**
 * fusedAttention of several batches whose projected rows lie one after another in q, k, v (N, H), → (N, H): per
 * batch, its rows unpacked to (B, T, H) as unpackRows does (or read in place without padding), the attention
 * kernels, the result packed back into its rows. One op each way where the per-batch splits, unpacks, attention,
 * packs and the concat took 4 + 5 per batch; the same kernels on the same values, so the same bits.
 */
export function fusedSegmentAttention(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  heads: number,
  segs: readonly AttnSegment[],
): tf.Tensor2D | null {
  if (!onWasmFloat32([q, k, v, ...segs.map((s) => s.keyMask)])) return null;
  const [n, dim] = q.shape;
  const shapeOf = (s: AttnSegment): AttnShape => ({ b: s.batch, tq: s.length, tk: s.length, dim, heads });
  const op = custom((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
    const c = ctx();
    const [out] = newTensors(c.be, [n, dim]) as [tf.Tensor];
    const kept: tf.Tensor[] = []; // per batch: its unpacked q, k, v (with padding), then p
    let r0 = 0;
    for (const s of segs) {
      const rowsAt = (t: tf.Tensor) => c.p(t) + 4 * r0 * dim; // this batch's first row in a merged tensor
      const mask = c.p(s.keyMask);
      const p = s.packing;
      if (p) {
        const full = s.batch * s.length;
        const [qu, ku, vu, ou] = newTensors(c.be, [full, dim], [full, dim], [full, dim], [full, dim]);
        const idx = c.p(p.idx);
        [qi, ki, vi].forEach((t, j) => unpackRowsAt(c.be, rowsAt(t), idx, p.pos, full, c.p([qu, ku, vu][j]!), dim));
        kept.push(qu!, ku!, vu!, attnForward(c, { q: c.p(qu!), k: c.p(ku!), v: c.p(vu!), mask }, c.p(ou!), shapeOf(s)));
        packRowsAt(c.be, c.p(ou!), idx, p.tokens, rowsAt(out), dim);
        ou!.dispose();
      } else {
        const at = { q: rowsAt(qi), k: rowsAt(ki), v: rowsAt(vi), mask };
        kept.push(attnForward(c, at, rowsAt(out), shapeOf(s)));
      }
      r0 += s.rows;
    }
    save([qi, ki, vi, ...kept]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qs, ks, vs, ...rest] = saved as tf.Tensor[];
        const g = ctx();
        const [dq, dk, dv] = newTensors(g.be, [n, dim], [n, dim], [n, dim]) as [tf.Tensor, tf.Tensor, tf.Tensor];
        let r = 0;
        let at = 0; // cursor in rest
        for (const s of segs) {
          const rowsAt = (t: tf.Tensor) => g.p(t) + 4 * r * dim;
          const p = s.packing;
          if (p) {
            const full = s.batch * s.length;
            const [qu, ku, vu, probs] = rest.slice(at, at + 4) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
            at += 4;
            const [dyu, dqu, dku, dvu] = newTensors(g.be, [full, dim], [full, dim], [full, dim], [full, dim]);
            const idx = g.p(p.idx);
            unpackRowsAt(g.be, rowsAt(dy), idx, p.pos, full, g.p(dyu!), dim);
            const into = { q: g.p(dqu!), k: g.p(dku!), v: g.p(dvu!) };
            attnBackward(g, g.p(dyu!), { q: g.p(qu), k: g.p(ku), v: g.p(vu), mask: 0 }, probs, into, shapeOf(s));
            [dqu, dku, dvu].forEach((t, j) => packRowsAt(g.be, g.p(t!), idx, p.tokens, rowsAt([dq, dk, dv][j]!), dim));
            tf.dispose([dyu!, dqu!, dku!, dvu!]);
          } else {
            const probs = rest[at++]!;
            const into = { q: rowsAt(dq), k: rowsAt(dk), v: rowsAt(dv) };
            attnBackward(
              g,
              rowsAt(dy),
              { q: rowsAt(qs!), k: rowsAt(ks!), v: rowsAt(vs!), mask: 0 },
              probs,
              into,
              shapeOf(s),
            );
          }
          r += s.rows;
        }
        return [dq, dk, dv];
      },
    };
  });
  return op(q, k, v) as tf.Tensor2D;
}
