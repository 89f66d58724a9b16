import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, f32 } from '../wasm-heap';
import { depthwiseGeometry, type DepthwiseAttrs } from '../depthwise-geometry';

/**
 * Gradient of depthwiseConv2d with respect to its input (NHWC): each output pixel scatters
 * dy[b, oh, ow, c·chMul + m] · W[fh, fw, c, m] back onto the input pixel that tap (fh, fw) read.
 * dy: (B, OH, OW, C·chMul), filter: (FH, FW, C, chMul), dx: inputShape (B, H, W, C).
 */
export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as DepthwiseAttrs & { inputShape: [number, number, number, number] };
    const be = asWasm(backend);
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
      true,
    );
    const { B, H, W, C, OH, OW, CO, FH, FW, SH, SW, DH, DW, top, left, chMul } = depthwiseGeometry(info);
    const dx = be.makeOutput(info.inShape, 'float32');
    const dxv = f32(be, dx);
    const dyv = f32(be, dy);
    const wv = f32(be, filter);
    dxv.fill(0);
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
              const dxBase = ((b * H + ih) * W + iw) * C;
              const wBase = (fh * FW + fw) * CO;
              if (chMul === 1) {
                for (let c = 0; c < C; c++) dxv[dxBase + c]! += dyv[dyBase + c]! * wv[wBase + c]!;
                continue;
              }
              for (let c = 0; c < C; c++) {
                let acc = 0;
                for (let j = c * chMul; j < (c + 1) * chMul; j++) acc += dyv[dyBase + j]! * wv[wBase + j]!;
                dxv[dxBase + c]! += acc;
              }
            }
          }
        }
      }
    }
    return dx;
  },
};
