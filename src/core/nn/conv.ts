import * as tf from '@tensorflow/tfjs-core';
import { biasAdd, colSum, gemm, splitLimits, splitRun, splitRunScratch } from '../backend/simd/pool';
import { type ConvGeometry, gemmPack, simdKernels } from '../backend/simd/simd-kernels';
import { asWasm, newTensors, onWasmFloat32, ptr, type WasmBackend } from '../backend/wasm-heap';
import { queueableKernel } from './defer';
import { custom } from './fused';

/**
 * Convolution and 2×2 max pooling for image towers. On wasm each is one fused op with a hand-written gradient:
 * conv = im2col + unir's SIMD gemm (+ bias and ReLU in one pass); its backward = ReLU mask, dW = colᵀ·dZ, dcol =
 * dZ·Wᵀ and col2im (stock wasm's Conv2DBackpropInput / MaxPoolGrad are naive loops: ≈ 20× slower); past a first
 * layer, the same blocked so that col is never held whole (convBlocking). Elsewhere,
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

/**
 * The product half of the fused convolution, a kernel of its own so that tfjs asks for each input's gradient only
 * where it is needed: inputs col (P, KC), w (k, k, C, CO), b? (CO); attrs relu and the output's batch, height and
 * width; output y (B, OH, OW, CO) = [ReLU](col·w + b). A network's first layer takes data, not a parameter: its
 * dcol = dZ·Wᵀ and col2im (with 3 input channels the largest products of the backward pass) are then never run.
 */
const CONV_GEMM = 'UnirConvGemm';
interface ConvGemmAttrs {
  relu: boolean;
  outShape: number[]; // [B, OH, OW]
}

function convGemmKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { col, w, b } = inputs as { col: tf.TensorInfo; w: tf.TensorInfo; b?: tf.TensorInfo };
  const { relu, outShape } = attrs as unknown as ConvGemmAttrs;
  const be = asWasm(backend);
  const [P, KC] = col.shape as [number, number];
  const CO = w.shape[3]!;
  const y = be.makeOutput([...outShape, CO], 'float32');
  const py = ptr(be, y);
  gemm(be, ptr(be, col), KC, 1, ptr(be, w), CO, py, CO, P, CO, KC); // (P, KC)·(KC, CO)
  biasRelu(be, py, b, P, CO, relu);
  return y;
}

/** y (P, CO) = [ReLU](y + b) in place. */
function biasRelu(
  be: WasmBackend,
  py: number,
  b: tf.TensorInfo | undefined,
  P: number,
  CO: number,
  relu: boolean,
): void {
  const pb = b ? ptr(be, b) : 0;
  if (relu) splitRun(be, 'bias_relu', P, 1, 1024, (r0, n) => [py + 4 * r0 * CO, pb, n, CO]);
  else if (b) biasAdd(be, py, pb, P, CO);
}

/** dZ (P, CO): the gradient before the ReLU (dY itself without one); disposed with the backward pass's scope. */
function reluGrad(g: WasmBackend, dy: tf.Tensor, y: tf.Tensor, P: number, CO: number, relu: boolean): tf.Tensor {
  if (!relu) return dy;
  const [dz] = newTensors(g, [P, CO]) as [tf.Tensor];
  const [pdy, py, pdz] = [dy, y, dz].map((t) => ptr(g, t)) as [number, number, number];
  splitRun(g, 'relu_bwd', P * CO, 4, splitLimits.elements, (s0, n) => [pdy + 4 * s0, py + 4 * s0, pdz + 4 * s0, n]);
  return dz;
}

function convGemmGrad(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [col, w, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
  const { relu } = attrs as unknown as ConvGemmAttrs;
  const g = asWasm(tf.backend());
  const [P, KC] = col.shape as [number, number];
  const CO = w.shape[3]!;
  const dz = reluGrad(g, dy as tf.Tensor, y, P, CO, relu);
  const pdz = ptr(g, dz);
  return {
    col: () => {
      const [wT, dcol] = newTensors(g, [CO, KC], [P, KC]) as [tf.Tensor, tf.Tensor];
      simdKernels(g).transpose(ptr(g, w), ptr(g, wT), KC, CO);
      gemm(g, pdz, CO, 1, ptr(g, wT), KC, ptr(g, dcol), KC, P, KC, CO); // dZ (P, CO)·Wᵀ (CO, KC)
      wT.dispose();
      return dcol;
    },
    w: () => {
      const [dw] = newTensors(g, w.shape) as [tf.Tensor];
      gemm(g, ptr(g, col), 1, KC, pdz, CO, ptr(g, dw), CO, KC, CO, P); // colᵀ (KC, P)·dZ (P, CO)
      return dw;
    },
    b: () => {
      const [db] = newTensors(g, [CO]) as [tf.Tensor];
      colSum(g, pdz, ptr(g, db), P, CO);
      return db;
    },
  };
}

// Once per process (a notebook and a test runner may load this module twice; the first registration serves both).
if (!tf.getKernel(CONV_GEMM, 'wasm'))
  tf.registerKernel({ kernelName: CONV_GEMM, backendName: 'wasm', kernelFunc: convGemmKernel });
if (!tf.getGradient(CONV_GEMM))
  tf.registerGradient({
    kernelName: CONV_GEMM,
    inputsToSave: ['col', 'w'],
    outputsToSave: [true],
    gradFunc: convGemmGrad,
  });

/**
 * The blocked convolution, for windows of at least `convBlocking.minWindow` values (k·k·C): one kernel from x, its
 * col never written whole — R rows of it at a time in a scratch of ≈ `scratchFloats` floats per thread (kernels.c
 * conv_fwd / conv_dw / conv_dx). The same results to the bit as im2col + UnirConvGemm, without the (P, k·k·C) col
 * held from the forward pass to the backward one (16 MB for a 12×12×32 layer of 96 images: the products over it
 * ran at 2/3 of their speed on operands in cache). A first layer's window (3 channels: 27 values) is copied as runs
 * of a few floats, where the one-pass im2col is faster: it keeps the materialised col.
 */
export const convBlocking = { minWindow: 64, scratchFloats: 1 << 16 };

const CONV_BLOCKED = 'UnirConvBlocked';
interface ConvBlockedAttrs {
  relu: boolean;
  geometry: ConvGeometry; // [B, H, W, C, k, s, pad, OH, OW, CO]
}

/** Pixels per block: the most whose window rows fit the scratch; from 16 on, a multiple of 8 (the row tile). */
const blockRows = (KC: number) => {
  const r = Math.floor(convBlocking.scratchFloats / KC);
  return r >= 16 ? r & ~7 : Math.max(1, r);
};

function convBlockedKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, w, b } = inputs as { x: tf.TensorInfo; w: tf.TensorInfo; b?: tf.TensorInfo };
  const { relu, geometry } = attrs as unknown as ConvBlockedAttrs;
  const [B, H, W, C, k, , , OH, OW, CO] = geometry;
  const be = asWasm(backend);
  const y = be.makeOutput([B, OH, OW, CO], 'float32');
  const py = ptr(be, y);
  convByImages(be, 'conv_fwd', ptr(be, x), H * W * C, ptr(be, w), py, OH * OW * CO, geometry);
  biasRelu(be, py, b, B * OH * OW, CO, relu);
  return y;
}

function convBlockedGrad(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [x, w, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
  const { relu, geometry } = attrs as unknown as ConvBlockedAttrs;
  const [B, H, W, C, k, , , OH, OW, CO] = geometry;
  const g = asWasm(tf.backend());
  const [P, KC] = [B * OH * OW, k * k * C];
  const R = blockRows(KC);
  const dz = reluGrad(g, dy as tf.Tensor, y, P, CO, relu);
  const pdz = ptr(g, dz);
  return {
    x: () => {
      const [wT, dx] = newTensors(g, [CO, KC], [B, H, W, C]) as [tf.Tensor, tf.Tensor];
      simdKernels(g).transpose(ptr(g, w), ptr(g, wT), KC, CO);
      convByImages(g, 'conv_dx', pdz, OH * OW * CO, ptr(g, wT), ptr(g, dx), H * W * C, geometry);
      wT.dispose();
      return dx;
    },
    w: () => {
      const [dw] = newTensors(g, w.shape) as [tf.Tensor];
      // by rows of dw (the window's values): every row's sum runs over all pixels in order, whoever computes it
      const min = Math.ceil(splitLimits.macs / Math.max(1, P * CO));
      splitRunScratch(g, 'conv_dw', KC, 8, min, R * KC, (c0, n, part, ps) => [
        ptr(g, x),
        pdz,
        ptr(g, dw),
        ...geometry,
        c0,
        c0 + n,
        R,
        ps,
        gemmPack(g, part),
      ]);
      return dw;
    },
    b: () => {
      const [db] = newTensors(g, [CO]) as [tf.Tensor];
      colSum(g, pdz, ptr(g, db), P, CO);
      return db;
    },
  };
}

/**
 * kernels.c conv_fwd (x → y) or conv_dx (dz → dx) over the geometry's images, shared by images with the pool: the
 * operands a and c advance `aImage` and `cImage` floats an image, w is shared; each part has its own scratch.
 */
function convByImages(
  be: WasmBackend,
  op: 'conv_fwd' | 'conv_dx',
  a: number,
  aImage: number,
  w: number,
  c: number,
  cImage: number,
  geometry: ConvGeometry,
): void {
  const [B, , , C, k, , , OH, OW, CO] = geometry;
  const KC = k * k * C;
  const R = blockRows(KC);
  const min = minImages(OH * OW * KC * CO);
  splitRunScratch(be, op, B, 1, min, R * KC, (b0, nb, part, ps) => [
    a + 4 * b0 * aImage,
    w,
    c + 4 * b0 * cImage,
    nb,
    ...geometry.slice(1),
    R,
    ps,
    gemmPack(be, part),
  ]);
}

/** Images from which a convolution's work (`macsPerImage` multiply-adds each) is shared with the pool. */
const minImages = (macsPerImage: number) => Math.max(2, Math.ceil(splitLimits.macs / Math.max(1, macsPerImage)));

// both kernels run unir's kernels alone: a deferred forward pass may queue them (nn/defer.ts deferForward)
queueableKernel(CONV_GEMM);
queueableKernel(CONV_BLOCKED);
if (!tf.getKernel(CONV_BLOCKED, 'wasm'))
  tf.registerKernel({ kernelName: CONV_BLOCKED, backendName: 'wasm', kernelFunc: convBlockedKernel });
if (!tf.getGradient(CONV_BLOCKED))
  tf.registerGradient({
    kernelName: CONV_BLOCKED,
    inputsToSave: ['x', 'w'],
    outputsToSave: [true],
    gradFunc: convBlockedGrad,
  });

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
  if (KC >= convBlocking.minWindow) {
    const attrs: ConvBlockedAttrs = { relu, geometry: [B, H, W, C, k, stride, pad, OH, OW, CO] };
    return tf
      .engine()
      .runKernel(CONV_BLOCKED, { x, w, ...(b ? { b } : {}) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  // byte addresses of image b0's first row of col (P, KC) and of x (B, H, W, C); the window's geometry for nb images
  const colAt = (p: number, b0: number) => p + 4 * b0 * OH * OW * KC;
  const xAt = (p: number, b0: number) => p + 4 * b0 * H * W * C;
  const geometry = (nb: number) => [nb, H, W, C, k, stride, pad, OH, OW];
  // x (B, H, W, C) → col (P, KC); its gradient (col2im) runs only when something upstream of x needs one
  const im2col = custom((xi: tf.Tensor) => {
    const be = asWasm(tf.backend());
    const [col] = newTensors(be, [P, KC]) as [tf.Tensor];
    const [px, pc] = [ptr(be, xi), ptr(be, col)];
    splitRun(be, 'im2col', B, 1, 2 * ROWS_PER_PART, (b0, nb) => [xAt(px, b0), colAt(pc, b0), ...geometry(nb)]);
    return {
      value: col,
      gradFunc: (dcol: tf.Tensor) => {
        const g = asWasm(tf.backend());
        const [dx] = newTensors(g, [B, H, W, C]) as [tf.Tensor];
        const [pd, pdx] = [ptr(g, dcol), ptr(g, dx)];
        splitRun(g, 'col2im', B, 1, 2 * ROWS_PER_PART, (b0, nb) => [colAt(pd, b0), xAt(pdx, b0), ...geometry(nb)]);
        return [dx];
      },
    };
  });
  return tf.tidy(() => {
    const col = im2col(x);
    const attrs: ConvGemmAttrs = { relu, outShape: [B, OH, OW] };
    return tf
      .engine()
      .runKernel(CONV_GEMM, { col, w, ...(b ? { b } : {}) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  });
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

/**
 * Global average pooling, (B, H, W, C) → (B, C): tf.mean over the pixels; on wasm its gradient is one kernels.c pass
 * (gap_bwd: dy / (H·W) at every pixel, the values of tfjs's Mean gradient) that a deferred backward pass can queue.
 */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  if (!onWasmFloat32([x]) || x.size === 0) return tf.mean(x, [1, 2]);
  const [B, H, W, C] = x.shape;
  const op = custom((xi: tf.Tensor) => ({
    value: tf.mean(xi, [1, 2]),
    gradFunc: (dy: tf.Tensor) => {
      const g = asWasm(tf.backend());
      const [dx] = newTensors(g, [B, H, W, C]) as [tf.Tensor];
      simdKernels(g).gap_bwd(ptr(g, dy), ptr(g, dx), B, H * W, C);
      return [dx];
    },
  }));
  return op(x) as tf.Tensor2D;
}
