import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module';
import type { RowSegments } from './fused';
import { linear } from './ops';
import { zeros, type Init, type ParamScope } from './params';

export interface DenseOptions {
  bias?: boolean; // default true
  init?: Init; // default glorot
  names?: { w: string; b: string }; // variable names under the scope; default { w: 'w', b: 'b' }
}

/** y = x·W + b over the last axis: (..., in) → (..., out). Variables `<scope>/w` (in, out), `<scope>/b` (out). */
export class Dense implements Module {
  readonly w: tf.Variable;
  readonly b?: tf.Variable;

  constructor(
    scope: ParamScope,
    readonly inDim: number,
    readonly outDim: number,
    opts: DenseOptions = {},
  ) {
    const names = opts.names ?? { w: 'w', b: 'b' };
    this.w = scope.variable(names.w, [inDim, outDim], opts.init ?? { kind: 'glorot' });
    if (opts.bias ?? true) this.b = scope.variable(names.b, [outDim], zeros);
  }

  /** `segs`: x (rows, in) holds separate batches of these row counts (nn/fused.ts RowSegments). */
  apply(x: tf.Tensor, segs?: RowSegments): tf.Tensor {
    return linear(x, this.w, this.b, segs);
  }

  variables(): tf.Variable[] {
    return this.b ? [this.w, this.b] : [this.w];
  }

  /** Forward FLOPs for `rows` input rows (2 per multiply-add). */
  flops(rows: number): number {
    return 2 * rows * this.inDim * this.outDim;
  }
}
