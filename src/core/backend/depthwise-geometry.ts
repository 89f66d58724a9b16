import type * as tf from '@tensorflow/tfjs-core';

/** Attributes shared by the two depthwise gradient kernels. */
export interface DepthwiseAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The sizes a depthwise gradient loop needs, from tfjs's own conv geometry (NHWC). */
export function depthwiseGeometry(info: tf.backend_util.Conv2DInfo) {
  return {
    B: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    C: info.inChannels,
    OH: info.outHeight,
    OW: info.outWidth,
    CO: info.outChannels,
    FH: info.filterHeight,
    FW: info.filterWidth,
    SH: info.strideHeight,
    SW: info.strideWidth,
    DH: info.dilationHeight,
    DW: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    chMul: info.outChannels / info.inChannels,
  };
}
