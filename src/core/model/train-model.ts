import type * as tf from '@tensorflow/tfjs-core';
import type { ModuleName } from '../config/stage';
import type { EncodedBatch } from '../text/tokenizer';

/** NLU head outputs. */
export interface NluOutputs {
  intentLogits: tf.Tensor2D; // (B, I)
  slotLogits: tf.Tensor3D; // (B, T, S)
}

/** A call of TrainModel's encodeText, encodeQuery or runNlu (TrainModel.encodeCalls). */
export type ModelCall =
  | { kind: 'text'; batch: EncodedBatch; training: boolean }
  | { kind: 'query'; batch: EncodedBatch; training: boolean; useNlu: boolean }
  | { kind: 'nlu'; batch: EncodedBatch; training: boolean };
/** What each kind of call returns: (B, D) unit rows, a query's encoding, NLU outputs. */
export type ModelCallResult = tf.Tensor2D | { embedding: tf.Tensor2D; nlu?: NluOutputs } | NluOutputs;

/**
 * What the trainer and the evaluation need of a model (the unified model satisfies it): parameter groups by
 * module, and the encoders. Embeddings are (B, D), L2-normalised.
 */
export interface TrainModel {
  readonly modules: Readonly<Record<ModuleName, tf.Variable[]>>;
  encodeText(batch: EncodedBatch, training: boolean): tf.Tensor2D;
  /**
   * Optional: the results of these calls made in turn (encodeText, encodeQuery, runNlu), the same values and
   * gradients to the bit, made at once: a step's text passes as one set of rows (TextEncoder.encodeMany).
   */
  encodeCalls?(calls: readonly ModelCall[]): ModelCallResult[];
  /**
   * `meanwhile`: work of the caller's that reads nothing of this pass (a training step's text passes); the model may
   * run it once during the pass, to overlap the two (ImageEncoder.encode); the caller runs it after when the model
   * did not (nn/defer.ts withMeanwhile).
   */
  encodeImage(images: tf.Tensor4D, training: boolean, meanwhile?: () => void): tf.Tensor2D;
  /** `nlu`, when given, holds the NLU outputs computed on the way (evaluation reuses them). */
  encodeQuery(batch: EncodedBatch, training: boolean, useNlu?: boolean): { embedding: tf.Tensor2D; nlu?: NluOutputs };
  runNlu(batch: EncodedBatch, training: boolean): NluOutputs;
  /** The distillation teacher's (B, D) unit rows (models with a teacher: 'translation' pairs need one). */
  encodeTeacher?(batch: EncodedBatch): tf.Tensor2D;
  dispose(): void;
}
