import type * as tf from '@tensorflow/tfjs-core';
import { pluginDefiner } from '../registry/plugin';
import type { FuseHook, NluOutput } from './encoder';

/**
 * Fusion plugins (kind 'fusion'): how NLU features enter the query embedding. A fusion acts early (a hook the
 * text encoder applies to its token states before its layers), late (on the pooled, projected text embedding),
 * or not at all (`usesNlu` false: the query embedding is the plain text embedding).
 */
export interface FusionCtx {
  scope: string; // variable-name prefix, e.g. 'fusion'
  seed: number;
  dim: number; // D of the embeddings
  textHidden: number; // H of the text encoder's token states
  nluHidden: number; // H of the NLU outputs
  where?: string; // config path for error messages
}

export interface Fusion {
  readonly usesNlu: boolean;
  /** Early: a fuse hook built from the NLU outputs of the same batch (the hook reads them inside the text encoder). */
  early?(nlu: NluOutput): FuseHook;
  /** Late: text embedding (B, D) and NLU outputs → fused embedding (B, D), unit rows. */
  late?(embedding: tf.Tensor2D, nlu: NluOutput): tf.Tensor2D;
  variables(): tf.Variable[];
  /** Forward FLOPs for a query batch [B, T] (2 per multiply-add). */
  flops(batchShape: readonly number[]): number;
  dispose(): void;
}

export const defineFusion = pluginDefiner('fusion')<FusionCtx, Fusion>();
