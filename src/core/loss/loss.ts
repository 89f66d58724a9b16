import * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import { UserError } from '../errors';
import { pluginDefiner, type Plugin } from '../registry/plugin';

/**
 * What a loss reads. The trainer fills the keys the active losses `need`; shapes use B = batch, D = embedding
 * dim, I = intents, T = tokens (incl. CLS), S = slot tags (BIO).
 */
export interface Features {
  /** (B, D) float32, L2-normalised: one side of a positive pair; row i of `a` ↔ row i of `b`. */
  a?: tf.Tensor2D;
  /** (B, D) float32, L2-normalised: the other side of the pair (e.g. a = image, b = caption). */
  b?: tf.Tensor2D;
  /** (B, I) float32: intent logits of the NLU head. */
  intentLogits?: tf.Tensor2D;
  /** (B) int32 in [0, I): gold intent per query. */
  intentLabels?: tf.Tensor1D;
  /** (B, T, S) float32: slot-tag logits per token. */
  slotLogits?: tf.Tensor3D;
  /** (B, T) int32: gold slot tag per token; any value where slotMask is 0. */
  slotLabels?: tf.Tensor2D;
  /** (B, T) float32 in {0, 1}: 1 = labelled token (the first piece of a real word), 0 = CLS/pad/continuation. */
  slotMask?: tf.Tensor2D;
  /** (B, D) float32: the NLU-enhanced query vector (fusion output). */
  enhanced?: tf.Tensor2D;
  /** (B, D) float32: embedding of the query's semantic text, the target `enhanced` is pulled to. */
  target?: tf.Tensor2D;
  /** (B, D) float32, unit rows: the distillation teacher's embedding of `b`'s text, no gradient ('translation'). */
  teacher?: tf.Tensor2D;
}
export type FeatureKey = keyof Features;

/** Rank and dtype of every feature, checked before a loss reads it. */
export const FEATURE_SPECS: {
  readonly [K in FeatureKey]-?: { readonly rank: number; readonly dtype: 'float32' | 'int32' };
} = {
  a: { rank: 2, dtype: 'float32' },
  b: { rank: 2, dtype: 'float32' },
  intentLogits: { rank: 2, dtype: 'float32' },
  intentLabels: { rank: 1, dtype: 'int32' },
  slotLogits: { rank: 3, dtype: 'float32' },
  slotLabels: { rank: 2, dtype: 'int32' },
  slotMask: { rank: 2, dtype: 'float32' },
  enhanced: { rank: 2, dtype: 'float32' },
  target: { rank: 2, dtype: 'float32' },
  teacher: { rank: 2, dtype: 'float32' },
};
export const FEATURE_KEYS = Object.keys(FEATURE_SPECS) as FeatureKey[];

/** Given to create(): `name` prefixes the instance's variable names (default: the plugin id). */
export interface LossContext {
  /** e.g. 'L_TI', 'L_TC', 'L_QC' when the trainer makes several info-nce instances; must be unique. */
  name?: string;
}

/**
 * One configured loss. `compute` returns NEW scalars owned by the caller, intermediates are freed: the plugin's
 * `mainTerm` is the term that is minimised; the other keys are logged only (directional terms, temperature,
 * accuracy) and carry no gradient duty. The trainer takes gradients of `compute(f)[plugin.mainTerm]`.
 */
export interface LossInstance {
  /** Learnable parameters of the loss itself (temperature, bias); names `${ctx.name}/<param>`. */
  readonly variables: tf.Variable[];
  compute(f: Features): Record<string, tf.Scalar>;
  /** Frees `variables`. */
  dispose(): void;
}

/**
 * A loss plugin. `needs`: the features it reads (checked against the stage before anything is created);
 * `mainTerm`: the key of compute()'s result that is minimised (by convention the camelCase id: `infoNce`).
 */
export type LossPlugin<S extends z.ZodType = z.ZodType, Id extends string = string> = Plugin<
  'loss',
  S,
  LossContext | undefined,
  LossInstance,
  Id
> & {
  readonly needs: readonly FeatureKey[];
  readonly mainTerm: string;
};

const definePlugin = pluginDefiner('loss')<LossContext | undefined, LossInstance>();

export function defineLoss<const Id extends string, S extends z.ZodType>(
  p: Omit<LossPlugin<S, Id>, 'kind'>,
): LossPlugin<S, Id> {
  return definePlugin(p) as LossPlugin<S, Id>;
}

/** `loss 'L_TI' (info-nce)`: how errors name an instance. */
export function lossLabel(id: string, ctx: LossContext | undefined): string {
  return ctx?.name && ctx.name !== id ? `loss '${ctx.name}' (${id})` : `loss '${id}'`;
}

/**
 * The features a loss needs, checked for presence, rank and dtype. `sameRows` lists keys whose first
 * dimension must equal the first key's (the batch).
 */
export function takeFeatures<K extends FeatureKey>(
  f: Features,
  needs: readonly K[],
  where: string,
): { [P in K]-?: NonNullable<Features[P]> } {
  const out = {} as { [P in K]-?: NonNullable<Features[P]> };
  let batch: number | undefined;
  for (const k of needs) {
    const t = f[k];
    if (!t) {
      throw new UserError(
        `${where}: feature '${k}' is missing; it needs ${needs.join(', ')} (check what the stage's encoders/fusion produce)`,
      );
    }
    const spec = FEATURE_SPECS[k];
    if (t.rank !== spec.rank || t.dtype !== spec.dtype) {
      throw new UserError(
        `${where}: feature '${k}' must be a rank-${spec.rank} ${spec.dtype} tensor, got shape [${t.shape.join(', ')}] ${t.dtype}`,
      );
    }
    if (batch === undefined) batch = t.shape[0];
    else if (t.shape[0] !== batch) {
      throw new UserError(
        `${where}: feature '${k}' has batch ${t.shape[0]} but '${needs[0]}' has ${batch}; all features of one step share B`,
      );
    }
    (out as Record<string, tf.Tensor>)[k] = t;
  }
  return out;
}

/** Throws unless two features have the same shape. */
export function expectSameShape(x: tf.Tensor, y: tf.Tensor, names: [string, string], where: string): void {
  if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) {
    throw new UserError(
      `${where}: '${names[0]}' [${x.shape.join(', ')}] and '${names[1]}' [${y.shape.join(', ')}] must have the same shape`,
    );
  }
}

/** A scalar float32 variable `${prefix}/${param}`; a clear error if the name is taken (tfjs names are global). */
export function lossVariable(prefix: string, param: string, init: number, where: string): tf.Variable<tf.Rank.R0> {
  const name = `${prefix}/${param}`;
  if (tf.engine().registeredVariables[name]) {
    throw new UserError(
      `${where}: variable '${name}' already exists; give each loss instance its own ctx.name (or dispose the old one)`,
    );
  }
  return tf.tidy(() => tf.variable(tf.scalar(init), true, name)) as tf.Variable<tf.Rank.R0>;
}
