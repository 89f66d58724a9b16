import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { PairType, ResolvedStage } from '../config/stage';
import type { Features, LossInstance } from '../loss/loss';
import { clipCoefficient, globalNorm } from '../optim/clip';
import type { PairBatch } from './batch';
import { constantFeatures, modesOf, pairFeatures, type TrainModel } from './features';

/** A stage's terms bound to their loss instances. */
export interface StageTerms {
  stage: ResolvedStage;
  losses: LossInstance[]; // one per stage.terms[i]
  /** Variables updated in this stage: the trainable modules' plus the losses' own. */
  variables: tf.Variable[];
}

export interface StepOutcome {
  /** 'loss' = Σ weight·term; every term by name; extra outputs of a loss as `<term>.<key>`; 'gradNorm' (before clipping) when clipping; when it is not finite, no update was made. */
  losses: Record<string, number>;
}

/**
 * One optimisation step on a mixed batch: features per (pair, nlu) are computed once and shared by the
 * terms that use them; gradients are taken only for `terms.variables`, so frozen modules stay bit-identical.
 */
export function trainStep(
  model: TrainModel,
  terms: StageTerms,
  batches: ReadonlyMap<PairType, PairBatch>,
  update: (grads: tf.NamedTensorMap, gradScale: number) => void,
  clipNorm: number | null,
): StepOutcome {
  const { stage, losses } = terms;
  const modes = modesOf(stage.trainable);
  const names: string[] = [];
  const logged: tf.Scalar[] = [];
  const { total, grads } = tf.tidy(() => {
    const constants = new Map<PairType, Features>();
    for (const [pair, b] of batches) constants.set(pair, constantFeatures(model, b));
    const { value, grads } = tf.variableGrads(() => {
      const cache = new Map<string, Features>();
      let sum: tf.Scalar | undefined;
      stage.terms.forEach((t, i) => {
        const key = `${t.pair}/${t.nlu}`;
        let f = cache.get(key);
        if (!f) cache.set(key, (f = pairFeatures(model, batches.get(t.pair)!, t.nlu, modes, constants.get(t.pair)!)));
        const out = losses[i]!.compute(f);
        const entries = Object.entries(out);
        const [, main] = entries[0]!;
        for (const [k, v] of entries) {
          names.push(k === entries[0]![0] ? t.name : `${t.name}.${k}`);
          logged.push(tf.keep(v));
        }
        const w = tf.mul(main, t.weight) as tf.Scalar;
        sum = sum ? (tf.add(sum, w) as tf.Scalar) : w;
      });
      return sum!;
    }, terms.variables);
    return { total: value, grads };
  });
  const values = tf.tidy(() => tf.stack([total, ...logged]).dataSync());
  total.dispose();
  for (const t of logged) t.dispose();
  let gradNorm: number | undefined;
  try {
    if (clipNorm !== null) gradNorm = globalNorm(grads);
    // a non-finite norm leaves the parameters as they were; the caller sees gradNorm and stops
    if (gradNorm === undefined) update(grads, 1);
    else if (Number.isFinite(gradNorm)) update(grads, clipCoefficient(gradNorm, clipNorm!));
  } finally {
    for (const g of Object.values(grads)) g.dispose();
  }
  const out: Record<string, number> = { loss: values[0]! };
  names.forEach((n, i) => (out[n] = values[i + 1]!));
  if (gradNorm !== undefined) out.gradNorm = gradNorm;
  return { losses: out };
}
