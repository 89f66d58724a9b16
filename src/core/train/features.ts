import * as tf from '@tensorflow/tfjs-core';
import { NO_TEACHER, type ModuleName, type PairType } from '../config/stage';
import { UserError } from '../errors';
import type { Features } from '../loss/loss';
import type { ModelCall, ModelCallResult, NluOutputs, TrainModel } from '../model/train-model';
import { l2Normalize } from '../nn/ops';
import type { EncodedBatch } from '../text/tokenizer';
import type { PairBatch } from './batch';

/** Which encoders run in training mode (dropout etc.): those with a module the stage trains. */
export interface Modes {
  text: boolean;
  image: boolean;
  query: boolean;
}
export const modesOf = (trainable: readonly ModuleName[]): Modes => ({
  text: trainable.includes('text'),
  image: trainable.includes('image'),
  query: trainable.some((m) => m === 'text' || m === 'nlu' || m === 'fusion'),
});

export const imagesOf = (b: PairBatch) => tf.tensor4d(b.images!.data, [b.n, b.images!.size, b.images!.size, 3]);

/**
 * Computed before the gradient tape: features that must not carry gradient. query-semantic's target (the
 * semantic text's embedding) is a fixed point the NLU-enhanced query is pulled to, so the text encoder is
 * not dragged towards the query. translation's teacher embedding of the pivot text is a target the student
 * text encoder is pulled to (the teacher never trains).
 */
export function constantFeatures(model: TrainModel, b: PairBatch): Features {
  if (b.pair === 'translation') {
    if (!model.encodeTeacher) throw new UserError(`a batch of ${NO_TEACHER}`);
    return { teacher: model.encodeTeacher(b.right!) };
  }
  return b.pair === 'query-semantic' ? { target: model.encodeText(b.right!, false) } : {};
}

/**
 * The loss features of one pair batch (inside the gradient tape). `nlu`: fuse NLU features into queries. `images`:
 * an image–caption batch's image embeddings where the step made them already (train/step.ts).
 */
export function pairFeatures(
  model: TrainModel,
  b: PairBatch,
  nlu: boolean,
  modes: Modes,
  constants: Features,
  images?: tf.Tensor2D,
): Features {
  switch (b.pair as PairType) {
    case 'image-caption': {
      const k = b.captionsPerImage ?? 1;
      const text = model.encodeText(b.right!, modes.text); // (n·k, D)
      const target = k === 1 ? text : l2Normalize(tf.mean(tf.reshape(text, [b.n, k, text.shape[1]]), 1) as tf.Tensor2D); // (n, D)
      return { a: images ?? model.encodeImage(imagesOf(b), modes.image), b: target };
    }
    case 'image-image': {
      // one pass of the image tower over both sides: (2n, S, S, 3) → (2n, D) → (n, D) twice
      const S = b.images!.size;
      const both = tf.concat([imagesOf(b), tf.tensor4d(b.rightImages!.data, [b.n, S, S, 3])], 0);
      const [x, y] = tf.split(model.encodeImage(both, modes.image), 2, 0) as [tf.Tensor2D, tf.Tensor2D];
      return { a: x, b: y };
    }
    case 'translation':
      return {
        a: model.encodeText(b.left!, modes.text),
        b: model.encodeText(b.right!, modes.text),
        teacher: constants.teacher,
      };
    case 'caption-chunk':
      return { a: model.encodeText(b.left!, modes.text), b: model.encodeText(b.right!, modes.text) };
    case 'query-chunk':
      return { a: model.encodeQuery(b.query!, modes.query, nlu).embedding, b: model.encodeText(b.right!, modes.text) };
    case 'query-nlu': {
      const out = model.runNlu(b.query!, modes.query);
      const T = b.query!.length;
      return {
        intentLogits: out.intentLogits,
        slotLogits: out.slotLogits,
        intentLabels: tf.tensor1d(b.intent!, 'int32'),
        slotLabels: tf.tensor2d(b.slotLabels!, [b.n, T], 'int32'),
        slotMask: tf.tensor2d(b.slotMask!, [b.n, T], 'float32'),
      };
    }
    case 'query-semantic':
      return { enhanced: model.encodeQuery(b.query!, modes.query, nlu).embedding, target: constants.target };
  }
}

/** The model calls pairFeatures makes for a batch (encodeText, encodeQuery, runNlu), in its order. */
export function modelCalls(b: PairBatch, nlu: boolean, modes: Modes): ModelCall[] {
  const text = (batch: EncodedBatch): ModelCall => ({ kind: 'text', batch, training: modes.text });
  const query = (batch: EncodedBatch): ModelCall => ({ kind: 'query', batch, training: modes.query, useNlu: nlu });
  switch (b.pair as PairType) {
    case 'image-caption':
      return [text(b.right!)];
    case 'translation':
    case 'caption-chunk':
      return [text(b.left!), text(b.right!)];
    case 'query-chunk':
      return [query(b.query!), text(b.right!)];
    case 'query-nlu':
      return [{ kind: 'nlu', batch: b.query!, training: modes.query }];
    case 'query-semantic':
      return [query(b.query!)];
    case 'image-image':
      return [];
  }
}

/**
 * The model as pairFeatures sees it in one step. When the model makes calls at once (encodeCalls) and the step has
 * two text passes or more, the step's calls are made here in one encodeCalls, in the order pairFeatures makes them,
 * and its encodeText / encodeQuery / runNlu hand the results out: the same values and gradients as calls one by
 * one, with a step's text passes as one set of rows. `features` lists the pair batches in the order of their
 * pairFeatures calls, with their nlu flag.
 */
export function callsAtOnce(
  model: TrainModel,
  features: readonly { batch: PairBatch; nlu: boolean }[],
  modes: Modes,
): TrainModel {
  if (!model.encodeCalls) return model;
  const calls = features.flatMap((f) => modelCalls(f.batch, f.nlu, modes));
  if (calls.filter((c) => c.kind !== 'nlu').length < 2) return model;
  const results = model.encodeCalls(calls);
  const queues = new Map<string, Map<EncodedBatch, ModelCallResult[]>>();
  calls.forEach((c, i) => {
    const q = queues.get(c.kind) ?? queues.set(c.kind, new Map()).get(c.kind)!;
    q.set(c.batch, [...(q.get(c.batch) ?? []), results[i]!]);
  });
  const take = <T>(kind: ModelCall['kind'], b: EncodedBatch) => queues.get(kind)?.get(b)?.shift() as T | undefined;
  const view: TrainModel = Object.create(model);
  view.encodeText = (b, training) => take<tf.Tensor2D>('text', b) ?? model.encodeText(b, training);
  view.encodeQuery = (b, training, useNlu) =>
    take<{ embedding: tf.Tensor2D; nlu?: NluOutputs }>('query', b) ?? model.encodeQuery(b, training, useNlu);
  view.runNlu = (b, training) => take<NluOutputs>('nlu', b) ?? model.runNlu(b, training);
  return view;
}
