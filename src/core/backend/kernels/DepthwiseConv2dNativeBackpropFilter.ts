import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, f32 } from '../wasm-heap';
import { depthwiseGeometry, type DepthwiseAttrs } from '../depthwise-geometry';

/**
 * Gradient of depthwiseConv2d with respect to its filter (NHWC):
 * dW[fh, fw, c, m] = Σ_{b, oh, ow} x[b, ih, iw, c] · dy[b, oh, ow, c·chMul + m], summed in float64.
 * x: (B, H, W, C), dy: (B, OH, OW, C·chMul), dW: filterShape (FH, FW, C, chMul).
 */
export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as DepthwiseAttrs & { filterShape: [number, number, number, number] };
    const be = asWasm(backend);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
      true,
    );
    const { B, H, W, C, OH, OW, CO, FH, FW, SH, SW, DH, DW, top, left, chMul } = depthwiseGeometry(info);
    const acc = new Float64Array(FH * FW * CO);
    const out = be.makeOutput(a.filterShape, 'float32');
    const xv = f32(be, x);
    const dyv = f32(be, dy);
    for (let b = 0; b < B; b++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const dyBase = ((b * OH + oh) * OW + ow) * CO;
          for (let fh = 0; fh < FH; fh++) {
            const ih = oh * SH + fh * DH - top;
            if (ih < 0 || ih >= H) continue;
            for (let fw = 0; fw < FW; fw++) {
              const iw = ow * SW + fw * DW - left;
              if (iw < 0 || iw >= W) continue;
              const xBase = ((b * H + ih) * W + iw) * C;
              const wBase = (fh * FW + fw) * CO;
              for (let c = 0; c < C; c++) {
                const xval = xv[xBase + c]!;
                for (let j = c * chMul; j < (c + 1) * chMul; j++) acc[wBase + j]! += xval * dyv[dyBase + j]!;
              }
            }
          }
        }
      }
    }
    f32(be, out).set(acc);
    return out;
  },
};
