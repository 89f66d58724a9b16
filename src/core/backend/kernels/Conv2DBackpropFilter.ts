import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, cppId, disposeTemp, f32, releaseView, transposed, view } from '../wasm-heap';
import { setupXnnMatMul, xnnMatMul } from '../wasm-matmul';

/** Largest im2col block, in floats (default 32 MB); bigger problems run in chunks of output rows. */
export const im2colBudget = { floats: 1 << 23 };

/**
 * Gradient of conv2d with respect to its filter. With P = batch·outH·outW output pixels and KC = fh·fw·inC:
 * dW (KC, outC) = colᵀ (KC, P) @ dy (P, outC), where colᵀ[k, p] is the input pixel filter tap k sees at output
 * pixel p (0 in the padding). colᵀ is built in JS, the product runs on XNNPACK. NCHW is transposed to NHWC first.
 */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  setupFunc: setupXnnMatMul,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    const be = asWasm(backend);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    const nchw = info.dataFormat === 'channelsFirst';
    const xs = nchw ? transposed(be, x, [0, 2, 3, 1]) : x; // (B, H, W, C)
    const dys = nchw ? transposed(be, dy, [0, 2, 3, 1]) : dy; // (B, OH, OW, CO)
    const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
    const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const KC = FH * FW * C;
    const rows = B * OH; // output rows (b, oh), each OW pixels
    const rowsPerChunk = Math.max(1, Math.min(rows, Math.floor(im2colBudget.floats / (KC * OW))));
    const chunks = Math.ceil(rows / rowsPerChunk);

    const out = be.makeOutput([FH, FW, C, CO], 'float32'); // = (KC, CO)
    if (rows * OW === 0 || KC * CO === 0) {
      f32(be, out).fill(0);
      return out;
    }
    const col = be.makeOutput([KC * rowsPerChunk * OW], 'float32');
    const partial = chunks > 1 ? be.makeOutput([KC, CO], 'float32') : undefined;
    for (let c0 = 0; c0 < chunks; c0++) {
      const r0 = c0 * rowsPerChunk;
      const nr = Math.min(rowsPerChunk, rows - r0);
      const pc = nr * OW; // pixels in this chunk
      const colV = f32(be, col);
      const xv = f32(be, xs);
      for (let fh = 0; fh < FH; fh++) {
        for (let fw = 0; fw < FW; fw++) {
          for (let c = 0; c < C; c++) {
            let dst = ((fh * FW + fw) * C + c) * pc;
            for (let r = r0; r < r0 + nr; r++) {
              const b = (r / OH) | 0;
              const ih = (r - b * OH) * SH + fh - top;
              if (ih < 0 || ih >= H) {
                colV.fill(0, dst, dst + OW);
                dst += OW;
                continue;
              }
              const rowBase = (b * H + ih) * W;
              for (let ow = 0, iw = fw - left; ow < OW; ow++, iw += SW) {
                colV[dst++] = iw >= 0 && iw < W ? xv[(rowBase + iw) * C + c]! : 0;
              }
            }
          }
        }
      }
      const dyV = view(be, dys, r0 * OW * CO, pc * CO);
      const target = c0 === 0 ? out : partial!;
      xnnMatMul(cppId(be, col), dyV, cppId(be, target), KC, pc, CO);
      releaseView(be, dyV);
      if (c0 > 0) {
        const o = f32(be, out);
        const p = f32(be, partial!);
        for (let i = 0; i < o.length; i++) o[i]! += p[i]!;
      }
    }
    disposeTemp(be, col);
    if (partial) disposeTemp(be, partial);
    if (nchw) {
      disposeTemp(be, xs);
      disposeTemp(be, dys);
    }
    return out;
  },
};
