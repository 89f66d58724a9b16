import * as tf from '@tensorflow/tfjs-core';
import { gemm, splitLimits, splitRun } from '../backend/simd/pool';
import { simdKernels } from '../backend/simd/simd-kernels';
import { asWasm, newTensors, onWasmFloat32, ptr } from '../backend/wasm-heap';

/**
 * Convolution and 2×2 max pooling for image towers. On wasm each is one fused op with a hand-written gradient:
 * conv = im2col + unir's SIMD gemm (+ bias and ReLU in one pass); its backward = ReLU mask, dW = colᵀ·dZ, dcol =
 * dZ·Wᵀ and col2im (stock wasm's Conv2DBackpropInput / MaxPoolGrad are naive loops: ≈ 20× slower). Elsewhere,
 * and as the reference the tests compare with on the cpu backend, the composed tfjs ops.
 */

export interface Conv2dOptions {
  stride?: 1 | 2;
  /** ReLU after the bias. */
  relu?: boolean;
}

const ROWS_PER_PART = 1; // images per thread job

/**
 * y = [ReLU](conv2d(x, w, stride, 'same') + b): x (B, H, W, C), w (k, k, C, CO) with k odd, b (CO) →
 * (B, ⌈H/s⌉, ⌈W/s⌉, CO).
 */
export function conv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D | tf.Variable,
  b?: tf.Tensor | tf.Variable,
  opts: Conv2dOptions = {},
): tf.Tensor4D {
  const stride = opts.stride ?? 1;
  const fused = fusedConv2d(x, w as tf.Tensor4D, b, stride, opts.relu ?? false);
  if (fused) return fused;
  return tf.tidy(() => {
    let y: tf.Tensor4D = tf.conv2d(x, w as tf.Tensor4D, stride, 'same');
    if (b) y = tf.add(y, b);
    return opts.relu ? tf.relu(y) : y;
  });
}

/** 2×2 max pooling at stride 2 (an odd last row / column is dropped): (B, H, W, C) → (B, ⌊H/2⌋, ⌊W/2⌋, C). */
export function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return fusedMaxPool2(x) ?? tf.maxPool(x, 2, 2, 'valid');
}

type Grad = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
const custom = (f: (...args: never[]) => { value: tf.Tensor; gradFunc: Grad }) =>
  tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);

function fusedConv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor | undefined,
  stride: 1 | 2,
  relu: boolean,
): tf.Tensor4D | null {
  if (!onWasmFloat32([x, w, ...(b ? [b] : [])])) return null;
  const [k, k2, C, CO] = w.shape;
  if (k !== k2 || k % 2 === 0 || x.shape[3] !== C) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape, w.shape, stride, 1, 'same');
  const { batchSize: B, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = info;
  const pad = info.padInfo.top;
  if (info.padInfo.left !== pad || B * OH * OW === 0 || CO === 0) return null;
  const KC = k * k * C;
  const P = B * OH * OW; // output pixels
  const forward = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor | undefined, save: tf.GradSaveFunc) => {
    const be = asWasm(tf.backend());
    const kern = simdKernels(be);
    const [col, y] = newTensors(be, [P, KC], [B, OH, OW, CO]) as [tf.Tensor, tf.Tensor];
    const [px, pc, pw, py] = [ptr(be, xi), ptr(be, col), ptr(be, wi), ptr(be, y)];
    splitRun(be, 'im2col', B, 1, 2 * ROWS_PER_PART, (b0, nb) => [
      px + 4 * b0 * H * W * C,
      pc + 4 * b0 * OH * OW * KC,
      nb,
      H,
      W,
      C,
      k,
      stride,
      pad,
      OH,
      OW,
    ]);
    gemm(be, pc, KC, 1, pw, CO, py, CO, P, CO, KC); // (P, KC)·(KC, CO)
    const pb = bi ? ptr(be, bi) : 0;
    if (relu) splitRun(be, 'bias_relu', P, 1, 1024, (r0, n) => [py + 4 * r0 * CO, pb, n, CO]);
    else if (bi) kern.bias_add(py, pb, P, CO);
    save([col, wi, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [cs, ws, ys] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const g = asWasm(tf.backend());
        const kg = simdKernels(g);
        const [dx, dw, wT, dcol] = newTensors(g, [B, H, W, C], [k, k, C, CO], [CO, KC], [P, KC]) as tf.Tensor[];
        const db = bi ? newTensors(g, [CO])[0] : undefined;
        const dz = relu ? newTensors(g, [P, CO])[0] : undefined;
        const [pdy, pys, pcs, pws, pdx, pdw, pwT, pdcol] = [dy, ys, cs, ws, dx!, dw!, wT!, dcol!].map((t) => ptr(g, t));
        // dZ: the gradient before the ReLU (dY itself without one)
        const pdz = dz ? ptr(g, dz) : pdy!;
        if (dz)
          splitRun(g, 'relu_bwd', P * CO, 4, splitLimits.elements, (s0, n) => [
            pdy! + 4 * s0,
            pys! + 4 * s0,
            pdz + 4 * s0,
            n,
          ]);
        if (db) kg.col_sum(pdz, ptr(g, db), P, CO);
        gemm(g, pcs!, 1, KC, pdz, CO, pdw!, CO, KC, CO, P); // colᵀ (KC, P)·dZ (P, CO)
        kg.transpose(pws!, pwT!, KC, CO);
        gemm(g, pdz, CO, 1, pwT!, KC, pdcol!, KC, P, KC, CO); // dZ (P, CO)·Wᵀ (CO, KC)
        splitRun(g, 'col2im', B, 1, 2 * ROWS_PER_PART, (b0, nb) => [
          pdcol! + 4 * b0 * OH * OW * KC,
          pdx! + 4 * b0 * H * W * C,
          nb,
          H,
          W,
          C,
          k,
          stride,
          pad,
          OH,
          OW,
        ]);
        for (const t of [dz, wT!, dcol!]) t?.dispose();
        return db ? [dx!, dw!, db] : [dx!, dw!];
      },
    };
  };
  if (b)
    return custom((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => forward(xi, wi, bi, save))(
      x,
      w,
      b,
    ) as tf.Tensor4D;
  return custom((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => forward(xi, wi, undefined, save))(
    x,
    w,
  ) as tf.Tensor4D;
}

function fusedMaxPool2(x: tf.Tensor4D): tf.Tensor4D | null {
  if (!onWasmFloat32([x])) return null;
  const [B, H, W, C] = x.shape;
  const [OH, OW] = [H >> 1, W >> 1];
  if (B * OH * OW * C === 0) return null;
  const op = custom((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    const be = asWasm(tf.backend());
    const [y] = newTensors(be, [B, OH, OW, C]) as [tf.Tensor];
    const [px, py] = [ptr(be, xi), ptr(be, y)];
    splitRun(be, 'maxpool2_fwd', B, 1, 2, (b0, nb) => [
      px + 4 * b0 * H * W * C,
      py + 4 * b0 * OH * OW * C,
      nb,
      H,
      W,
      C,
    ]);
    save([xi, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = asWasm(tf.backend());
        const [dx] = newTensors(g, [B, H, W, C]) as [tf.Tensor];
        const [pdy, pxs, pys, pdx] = [dy, saved[0]!, saved[1]!, dx].map((t) => ptr(g, t)) as number[];
        splitRun(g, 'maxpool2_bwd', B, 1, 2, (b0, nb) => [
          pdy! + 4 * b0 * OH * OW * C,
          pxs! + 4 * b0 * H * W * C,
          pys! + 4 * b0 * OH * OW * C,
          pdx! + 4 * b0 * H * W * C,
          nb,
          H,
          W,
          C,
        ]);
        return [dx];
      },
    };
  });
  return op(x) as tf.Tensor4D;
}
