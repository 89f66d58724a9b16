import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';
import { Dense } from '../nn/dense';
import { gelu } from '../nn/ops';
import type { ParamScope } from '../nn/params';

export type HeadKind = 'linear' | 'mlp' | 'none';

/**
 * The trained part on top of a frozen tower: (B, F) features → (B, D).
 * - linear: one Dense F → D (`<scope>/head/w`, `<scope>/head/b`);
 * - mlp: Dense F → hidden, GELU, Dense hidden → D (`<scope>/head/fc1/*`, `<scope>/head/fc2/*`);
 * - none: the features as they are (needs F = D): the pretrained embedding space itself, nothing trained.
 * On wasm every op here runs on unir's SIMD kernels (fused dense and GELU with hand-written gradients).
 */
export class Head {
  private readonly layers: Dense[] = [];

  constructor(
    scope: ParamScope,
    readonly kind: HeadKind,
    readonly inDim: number,
    readonly outDim: number,
    hidden: number,
    where: string,
  ) {
    if (kind === 'none' && inDim !== outDim) {
      throw new UserError(
        `${where}.head: 'none' keeps the ${inDim}-wide pretrained features, but model.dim is ${outDim}; set head: 'linear' (or 'mlp'), or model.dim: ${inDim}`,
      );
    }
    if (kind === 'linear') this.layers.push(new Dense(scope.child('head'), inDim, outDim));
    if (kind === 'mlp')
      this.layers.push(
        new Dense(scope.child('head').child('fc1'), inDim, hidden),
        new Dense(scope.child('head').child('fc2'), hidden, outDim),
      );
  }

  /** (B, F) → (B, D). */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    if (this.kind === 'none') return x;
    return tf.tidy(() => {
      if (this.kind === 'linear') return this.layers[0]!.apply(x) as tf.Tensor2D;
      return this.layers[1]!.apply(gelu(this.layers[0]!.apply(x))) as tf.Tensor2D;
    });
  }

  variables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.variables());
  }

  flops(rows: number): number {
    return this.layers.reduce((s, l) => s + l.flops(rows), 0);
  }
}
