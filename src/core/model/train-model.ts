import type * as tf from '@tensorflow/tfjs-core';
import type { ModuleName } from '../config/stage';
import type { EncodedBatch } from '../text/tokenizer';

/** NLU head outputs. */
export interface NluOutputs {
  intentLogits: tf.Tensor2D; // (B, I)
  slotLogits: tf.Tensor3D; // (B, T, S)
}

/**
 * What the trainer and the evaluation need of a model (the unified model satisfies it): parameter groups by
 * module, and the encoders. Embeddings are (B, D), L2-normalised.
 */
export interface TrainModel {
  readonly modules: Readonly<Record<ModuleName, tf.Variable[]>>;
  encodeText(batch: EncodedBatch, training: boolean): tf.Tensor2D;
  encodeImage(images: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** `nlu`, when given, holds the NLU outputs computed on the way (evaluation reuses them). */
  encodeQuery(batch: EncodedBatch, training: boolean, useNlu?: boolean): { embedding: tf.Tensor2D; nlu?: NluOutputs };
  runNlu(batch: EncodedBatch, training: boolean): NluOutputs;
  /** The distillation teacher's (B, D) unit rows (models with a teacher: 'translation' pairs need one). */
  encodeTeacher?(batch: EncodedBatch): tf.Tensor2D;
  dispose(): void;
}
