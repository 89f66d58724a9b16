import * as tf from '@tensorflow/tfjs-core';
import { biasAdd, colSum, gemm, splitLimits, splitRun } from '../backend/simd/pool';
import { simdKernels } from '../backend/simd/simd-kernels';
import { asWasm, newTensors, onWasmFloat32, ptr } from '../backend/wasm-heap';
import { custom } from './fused';

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
  const pb = b ? ptr(be, b) : 0;
  if (relu) splitRun(be, 'bias_relu', P, 1, 1024, (r0, n) => [py + 4 * r0 * CO, pb, n, CO]);
  else if (b) biasAdd(be, py, pb, P, CO);
  return y;
}

function convGemmGrad(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [col, w, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
  const { relu } = attrs as unknown as ConvGemmAttrs;
  const g = asWasm(tf.backend());
  const [P, KC] = col.shape as [number, number];
  const CO = w.shape[3]!;
  // dZ: the gradient before the ReLU (dY itself without one); disposed with the backward pass's scope
  const d = dy as tf.Tensor;
  let dz = d;
  if (relu) {
    dz = newTensors(g, [P, CO])[0]!;
    const [pdy, py, pdz] = [d, y, dz].map((t) => ptr(g, t)) as [number, number, number];
    splitRun(g, 'relu_bwd', P * CO, 4, splitLimits.elements, (s0, n) => [pdy + 4 * s0, py + 4 * s0, pdz + 4 * s0, n]);
  }
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
