import * as tf from '@tensorflow/tfjs-core';
import type { NluOutput } from '../../../src/core/model/encoder';
import { rng } from '../../helpers/contract';

/** Seeded stand-ins for the NLU outputs of a (B, T) query batch with hidden width H (tensors the caller disposes). */
export function nluFeatures(seed: number, B: number, T: number, H: number, intents = 3, slots = 4): NluOutput {
  const r = rng(seed);
  const t = (shape: number[]) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1),
      shape,
    );
  return {
    tokenStates: t([B, T, H]) as tf.Tensor3D,
    intentLogits: t([B, intents]) as tf.Tensor2D,
    slotLogits: t([B, T, slots]) as tf.Tensor3D,
    semantic: t([B, H]) as tf.Tensor2D,
    intentEmbedding: t([B, H]) as tf.Tensor2D,
  };
}

export const disposeNlu = (n: NluOutput) => tf.dispose(Object.values(n));
