import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import * as tfl from '@tensorflow/tfjs-layers';
import { UserError } from '../errors';
import { readModelDir } from '../nn/layers-io';
import type { ParamScope } from '../nn/params';
import type { FrozenExtractor, LiveTower } from './tower';

/** freeze: true = every weight fixed (features cached); false = all trainable; k = the last k layers with weights train. */
export type Freeze = boolean | number;

/**
 * A tfjs model from a local folder (model.json + weight files): a layers model (tfjs-layers; trainable in part or
 * whole) or a graph model (tfjs-converter; constants, frozen only). `run` maps named inputs to the model's first output.
 */
export interface TfjsModel {
  readonly file: string; // model.json
  readonly kind: 'layers' | 'graph';
  /** Input names and shapes (layers: the input layers' names). */
  readonly inputs: { name: string; shape: (number | null)[]; dtype: string }[];
  run(inputs: tf.Tensor[], training: boolean): tf.Tensor;
  /** Variables made trainable under `scope` (layers models; `freeze` true → none). */
  variables: tf.Variable[];
  /** Rows of the first Embedding layer (layers models that have one): token ids must stay below it. */
  embeddingRows?: number;
  dispose(): void;
}

/** Loads the folder's model; unfreezes weights per `freeze` (UserErrors name model.json and the fix). */
export async function loadTfjsModel(
  path: string,
  freeze: Freeze,
  scope: ParamScope,
  where: string,
): Promise<TfjsModel> {
  if (!path) throw new UserError(`${where}.path: set it to the folder holding model.json and its weight files`);
  const artifacts = readModelDir(path); // UserErrors: no such file, not JSON, no topology, missing shards
  const file = join(resolve(path), 'model.json');
  const topo = artifacts.modelTopology as { node?: unknown; class_name?: string; model_config?: unknown } | undefined;
  const isGraph = artifacts.format === 'graph-model' || Array.isArray(topo?.node);
  if (isGraph) {
    if (freeze !== true)
      throw new UserError(
        `${where}.freeze: ${file} is a graph model, whose weights tfjs cannot train; set freeze: true (the head trains) or export a layers model`,
      );
    let g: GraphModel;
    try {
      g = await loadGraphModel(tf.io.fromMemory(artifacts));
    } catch (e) {
      throw new UserError(
        `${where}.path: tfjs cannot load the graph model ${file} (${(e as Error).message.split('\n')[0]}); convert the model again`,
      );
    }
    return {
      file,
      kind: 'graph',
      variables: [],
      inputs: g.inputs.map((i) => ({
        name: i.name,
        shape: (i.shape ?? []).map((d) => (d < 0 ? null : d)),
        dtype: i.dtype,
      })),
      run: (xs) => {
        const y = g.execute(Object.fromEntries(g.inputs.map((inp, k) => [inp.name, xs[k]!])));
        return Array.isArray(y) ? y[0]! : y;
      },
      dispose: () => g.dispose(),
    };
  }
  let m: tfl.LayersModel;
  try {
    m = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new UserError(
      `${where}.path: tfjs cannot load the layers model ${file} (${(e as Error).message.split('\n')[0]}); save it again with model.save()`,
    );
  }
  const weighted = m.layers.filter((l) => l.trainableWeights.length > 0);
  if (typeof freeze === 'number' && freeze > weighted.length) {
    m.dispose();
    throw new UserError(
      `${where}.freeze: ${file} has ${weighted.length} layers with weights, so the last ${freeze} cannot train; set freeze to 1..${weighted.length}, true or false`,
    );
  }
  const train = new Set(freeze === true ? [] : freeze === false ? weighted : weighted.slice(-freeze));
  const variables: tf.Variable[] = [];
  for (const layer of train) {
    for (const lw of layer.trainableWeights) {
      // re-home the weight under the encoder's scope: stable names for checkpoints and freezing
      const slot = lw as unknown as { val: tf.Variable };
      const v = scope.adopt(`tower/${lw.originalName}`, slot.val, true);
      slot.val.dispose();
      slot.val = v;
      variables.push(v);
    }
  }
  const emb = m.layers.find((l) => l.getClassName() === 'Embedding');
  return {
    file,
    kind: 'layers',
    variables,
    ...(emb ? { embeddingRows: (emb.getConfig() as { inputDim: number }).inputDim } : {}),
    inputs: m.inputs.map((i) => ({ name: i.name, shape: [...i.shape], dtype: i.dtype })),
    run: (xs, training) => {
      const y = m.apply(xs.length === 1 ? xs[0]! : xs, { training });
      return (Array.isArray(y) ? y[0]! : y) as tf.Tensor;
    },
    dispose: () => m.dispose(),
  };
}

/** An extractor (frozen) or a live tower over `forward`, which runs inside the caller's tidy. */
export function asTower<I>(
  model: TfjsModel,
  width: number,
  forward: (items: readonly I[], training: boolean) => tf.Tensor2D,
): { frozen: FrozenExtractor<I> } | { live: LiveTower<I> } {
  if (model.variables.length === 0) {
    return {
      frozen: {
        width,
        extract(items) {
          const y = tf.tidy(() => forward(items, false));
          try {
            return Float32Array.from(y.dataSync() as Float32Array);
          } finally {
            y.dispose();
          }
        },
        dispose: () => model.dispose(),
      },
    };
  }
  return {
    live: {
      width,
      forward: (items, training) => tf.tidy(() => forward(items, training)),
      variables: () => [...model.variables],
      dispose: () => model.dispose(),
    },
  };
}
