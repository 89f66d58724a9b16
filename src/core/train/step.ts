import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { PairType, ResolvedStage, ResolvedTerm } from '../config/stage';
import { UserError } from '../errors';
import { FEATURE_SPECS, type FeatureKey, type Features, type LossInstance } from '../loss/loss';
import type { UnifiedModel } from '../model/unified';
import { clipCoefficient, globalNorm } from '../optim/clip';
import { withTableGrads } from '../backend/table-grad';
import { drainDeferred } from '../backend/simd/pool';
import { withDeferredBackward, withMeanwhile } from '../nn/defer';
import type { EncodedBatch } from '../text/tokenizer';
import type { PairBatch } from './batch';
import type { TrainModel } from '../model/train-model';
import { constantFeatures, imagesOf, modesOf, pairFeatures, callsAtOnce } from './features';

/** A stage's terms bound to their loss instances. */
export interface StageTerms {
  stage: ResolvedStage;
  losses: LossInstance[]; // one per stage.terms[i]
  /** The key of each loss's result that is minimised (its plugin's mainTerm). */
  mainTerms: string[];
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
  /**
   * Applies the gradients: an embedding table's may be compact (backend/table-grad.ts compactRowsOf), which AdamW.step
   * reads as such; any other update makes them dense first (denseTableGrad).
   */
  update: (grads: tf.NamedTensorMap, gradScale: number) => void,
  clipNorm: number | null,
): StepOutcome {
  const { stage, losses } = terms;
  const modes = modesOf(stage.trainable);
  // the first step of each stage checks every plugin output against its contract, naming the plugin (cheap: once)
  const first = !checked.has(terms);
  if (first) {
    checked.add(terms);
    checkModelOutputs(model, stage, batches);
  }
  const names: string[] = [];
  const logged: tf.Scalar[] = [];
  // an image tower's backward pass may run on a worker during the text side's (nn/defer.ts), where one pass encodes
  // images: the same bits (UNIR_DEFER_BACKWARD=0 turns it off)
  const images = [...batches.values()].filter((b) => b.images).length;
  const defer = images === 1 ? withDeferredBackward : <T>(f: () => T) => f();
  const { total, grads } = defer(() =>
    tf.tidy(() => {
      const constants = new Map<PairType, Features>();
      for (const [pair, b] of batches) constants.set(pair, constantFeatures(model, b));
      const { value, grads } = withTableGrads(
        () =>
          tf.variableGrads(() => {
            const cache = new Map<string, Features>();
            let sum: tf.Scalar | undefined;
            // the step's model calls at once: its text passes as one set of rows (the same values and gradients)
            const keys = new Map(stage.terms.map((t) => [`${t.pair}/${t.nlu}`, t]));
            const textPasses = () =>
              callsAtOnce(
                model,
                [...keys.values()].map((t) => ({ batch: batches.get(t.pair)!, nlu: t.nlu })),
                modes,
              );
            // one image–caption pass starts first: its convolutions may run on a worker while the text passes run
            // here (the same values: nn/defer.ts withMeanwhile)
            const captioned =
              images === 1 && stage.terms.some((t) => t.pair === 'image-caption')
                ? batches.get('image-caption')
                : undefined;
            let m = model;
            let early: tf.Tensor2D | undefined;
            if (!captioned) m = textPasses();
            else
              early = withMeanwhile(
                (meanwhile) => model.encodeImage(imagesOf(captioned), modes.image, meanwhile),
                () => {
                  m = textPasses();
                },
              );
            stage.terms.forEach((t, i) => {
              const key = `${t.pair}/${t.nlu}`;
              let f = cache.get(key);
              if (!f) {
                const b = batches.get(t.pair)!;
                cache.set(
                  key,
                  (f = pairFeatures(m, b, t.nlu, modes, constants.get(t.pair)!, b === captioned ? early : undefined)),
                );
                if (first) checkFeatures(f, stage, t);
              }
              const out = losses[i]!.compute(f);
              const mainTerm = terms.mainTerms[i]!;
              if (first) checkLossOutputs(out, stage, t, mainTerm);
              const main = out[mainTerm]!;
              for (const [k, v] of Object.entries(out)) {
                names.push(k === mainTerm ? t.name : `${t.name}.${k}`);
                logged.push(tf.keep(v));
              }
              const w = tf.mul(main, t.weight) as tf.Scalar;
              sum = sum ? (tf.add(sum, w) as tf.Scalar) : w;
            });
            return sum!;
          }, terms.variables),
        { compact: true }, // embedding tables' gradients as their touched rows: read by globalNorm and AdamW alone
      );
      return { total: value, grads };
    }),
  );
  drainDeferred(); // an image tower's backward pass queued for a worker (nn/defer.ts): its gradients
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

/** The stages (their StageTerms) whose first step has been checked. */
const checked = new WeakSet<StageTerms>();

const fmt = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;

/** How many values of `t` are NaN or ±Inf (read back: first steps only). */
function nonFinite(t: tf.Tensor): number {
  let n = 0;
  for (const v of t.dataSync()) if (!Number.isFinite(v)) n++;
  return n;
}

/**
 * A UserError unless `x` is a `dtype` tensor of `shape` (null: any size) with finite values. `what` names the
 * plugin and the output, `meaning` the expected shape's dimensions.
 */
function expectOutput(
  x: unknown,
  shape: readonly (number | null)[],
  what: string,
  meaning: string,
  stage: string,
  fix: string,
): void {
  const at = `curriculum.stages.${stage}, first step: ${what}`;
  const want = `a float32 tensor of shape ${fmt(shape.map((d) => d ?? '?'))} (${meaning})`;
  if (!(x instanceof tf.Tensor))
    throw new UserError(`${at} returned ${x === undefined ? 'nothing' : typeof x}, expected ${want}; ${fix}`);
  if (x.rank !== shape.length || shape.some((d, i) => d !== null && x.shape[i] !== d))
    throw new UserError(`${at} returned shape ${fmt(x.shape)}, expected ${want}; ${fix}`);
  if (x.dtype !== 'float32') throw new UserError(`${at} returned ${x.dtype}, expected ${want}; ${fix}`);
  const bad = nonFinite(x);
  if (bad)
    throw new UserError(
      `${at} returned ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or Inf) of ${x.size} before any update; ${fix}`,
    );
}

/**
 * The plugin outputs of a model built from plugins (the unified model: encoders and fusion) on the stage's first
 * batches, in inference mode (no dropout: nothing random is drawn, so a resumed run trains the same), against their contracts (src/core/model/encoder.ts, fusion.ts): shapes, dtype, finite values. Each
 * problem is a one-line UserError naming the config path, the plugin id and the output.
 */
function checkModelOutputs(model: TrainModel, stage: ResolvedStage, batches: ReadonlyMap<PairType, PairBatch>): void {
  const m = model as TrainModel & Partial<Pick<UnifiedModel, 'parts' | 'spec' | 'dim'>>;
  if (!m.parts || !m.spec) return; // not built from plugins: its features are checked where the losses read them
  const { text, image, nlu, fusion } = m.parts;
  const D = m.dim ?? text.dim;
  const label = (part: 'text' | 'image' | 'nlu' | 'fusion') =>
    `model.${part} '${m.spec![part].id}' (${part === 'fusion' ? 'fusion' : `${part} encoder`})`;
  const fix = (part: 'text' | 'image' | 'nlu' | 'fusion') =>
    `fix the ${part === 'fusion' ? 'fusion' : 'encoder'} plugin '${m.spec![part].id}' (contract: src/core/model/${part === 'fusion' ? 'fusion' : 'encoder'}.ts)`;
  const fused = new Set(
    stage.terms.filter((t) => t.nlu && (t.pair === 'query-chunk' || t.pair === 'query-semantic')).map((t) => t.pair),
  );
  tf.tidy(() => {
    const checkText = (b: EncodedBatch, what: string) =>
      expectOutput(
        text.encode(b, { training: false }).embedding,
        [b.batch, D],
        `${label('text')}: encode(${what}).embedding`,
        'B, D',
        stage.name,
        fix('text'),
      );
    for (const [pair, b] of batches) {
      for (const ims of [b.images, b.rightImages]) {
        if (!ims) continue;
        const { size, data } = ims;
        expectOutput(
          image.encode(tf.tensor4d(data, [b.n, size, size, 3]), { training: false }),
          [b.n, D],
          `${label('image')}: encode(images)`,
          'B, D',
          stage.name,
          fix('image'),
        );
      }
      if (b.left) checkText(b.left, pair === 'caption-chunk' ? 'captions' : 'texts');
      if (b.right)
        checkText(
          b.right,
          pair === 'image-caption' ? 'captions' : pair === 'query-semantic' ? 'semantic texts' : 'chunks',
        );
      const q = b.query;
      if (!q) continue;
      checkText(q, 'queries');
      const out = nlu.encode(q, { training: false });
      const T = q.length;
      const H = nlu.hidden;
      const nluOut = (k: string, x: unknown, shape: (number | null)[], meaning: string) =>
        expectOutput(x, shape, `${label('nlu')}: encode(queries).${k}`, meaning, stage.name, fix('nlu'));
      nluOut('intentLogits', out?.intentLogits, [q.batch, nlu.numIntents], 'B, intents');
      nluOut('slotLogits', out?.slotLogits, [q.batch, T, nlu.numSlotLabels], 'B, T, slot tags');
      nluOut('tokenStates', out?.tokenStates, [q.batch, T, H], 'B, T, H');
      nluOut('semantic', out?.semantic, [q.batch, H], 'B, H');
      nluOut('intentEmbedding', out?.intentEmbedding, [q.batch, H], 'B, H');
      if (!fusion.usesNlu || !fused.has(pair)) continue;
      let embedding: tf.Tensor2D;
      if (fusion.early) {
        const hook = fusion.early(out);
        const fuse = (states: tf.Tensor3D, mask: tf.Tensor2D) => {
          const y = hook(states, mask);
          expectOutput(
            y,
            states.shape,
            `${label('fusion')}: early(nlu) hook`,
            'B, T, H of the token states it is given',
            stage.name,
            fix('fusion'),
          );
          return y;
        };
        embedding = text.encode(q, { training: false, fuse }).embedding;
        expectOutput(
          embedding,
          [q.batch, D],
          `${label('text')}: encode(queries, fused by '${m.spec!.fusion.id}').embedding`,
          'B, D',
          stage.name,
          fix('text'),
        );
      } else embedding = text.encode(q, { training: false }).embedding;
      if (fusion.late)
        expectOutput(
          fusion.late(embedding, out),
          [q.batch, D],
          `${label('fusion')}: late(embedding, nlu)`,
          'B, D',
          stage.name,
          fix('fusion'),
        );
    }
  });
}

/** Where each feature of a pair comes from, for models not built from plugins (their methods). */
const FEATURE_SOURCE: Partial<Record<FeatureKey, string>> = {
  intentLogits: 'runNlu().intentLogits',
  slotLogits: 'runNlu().slotLogits',
  target: 'encodeText(semantic texts)',
  enhanced: 'encodeQuery()',
};
const sourceOf = (pair: PairType, k: FeatureKey) =>
  FEATURE_SOURCE[k] ??
  (pair === 'image-image' || (k === 'a' && pair === 'image-caption')
    ? 'encodeImage()'
    : k === 'a' && pair === 'query-chunk'
      ? 'encodeQuery()'
      : 'encodeText()');

/** The features a term's loss reads, at the stage's first step: rank, dtype and finite values (model outputs). */
function checkFeatures(f: Features, stage: ResolvedStage, t: ResolvedTerm): void {
  for (const [k, x] of Object.entries(f) as [FeatureKey, tf.Tensor | undefined][]) {
    if (!x || !(k in FEATURE_SPECS)) continue;
    const spec = FEATURE_SPECS[k];
    const what = `feature '${k}' of '${t.pair}' (model.${sourceOf(t.pair, k)})`;
    const at = `curriculum.stages.${stage.name}, first step: ${what}`;
    if (x.rank !== spec.rank || x.dtype !== spec.dtype)
      throw new UserError(
        `${at} is ${x.dtype} of shape ${fmt(x.shape)}, expected a rank-${spec.rank} ${spec.dtype} tensor; fix the model`,
      );
    if (spec.dtype !== 'float32') continue;
    const bad = nonFinite(x);
    if (bad)
      throw new UserError(
        `${at} has ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or Inf) of ${x.size} before any update; fix the model`,
      );
  }
}

/**
 * A loss's outputs at the stage's first step, against the loss contract (src/core/loss/loss.ts): an object of
 * float32 scalars holding the plugin's mainTerm, the term minimised, finite on the (checked, finite) features.
 */
function checkLossOutputs(out: unknown, stage: ResolvedStage, t: ResolvedTerm, mainTerm: string | undefined): void {
  const at = `curriculum.stages.${stage.name}, term '${t.name}': loss '${t.loss}'`;
  const fix = `fix the loss plugin '${t.loss}' (contract: src/core/loss/loss.ts)`;
  if (typeof mainTerm !== 'string' || !mainTerm) {
    throw new UserError(
      `${at} declares no mainTerm; add mainTerm: '<the key of compute()'s result that is minimised>' to its definition; ${fix}`,
    );
  }
  const entries = out && typeof out === 'object' ? Object.entries(out as Record<string, unknown>) : [];
  if (!entries.length || !entries.some(([k]) => k === mainTerm)) {
    const got = entries.length
      ? `{ ${entries.map(([k]) => k).join(', ')} }`
      : out === undefined
        ? 'nothing'
        : (JSON.stringify(out) ?? typeof out);
    throw new UserError(
      `${at} returned ${got} without its mainTerm '${mainTerm}'; compute() returns { ${mainTerm}: scalar, ...logged scalars }; ${fix}`,
    );
  }
  entries.forEach(([k, v]) => {
    const role = k === mainTerm ? `its main term '${k}' (the term minimised)` : `its logged output '${k}'`;
    if (!(v instanceof tf.Tensor))
      throw new UserError(
        `${at}: ${role} is ${v === null ? 'null' : typeof v}, not a tensor; return tf scalars; ${fix}`,
      );
    if (v.rank !== 0)
      throw new UserError(
        `${at}: ${role} has shape ${fmt(v.shape)}, expected a scalar (rank 0; reduce it, e.g. with tf.mean); ${fix}`,
      );
    if (v.dtype !== 'float32') throw new UserError(`${at}: ${role} is ${v.dtype}, expected a float32 scalar; ${fix}`);
  });
  const value = (out as Record<string, tf.Scalar>)[mainTerm]!.dataSync()[0]!;
  if (!Number.isFinite(value))
    throw new UserError(
      `${at}: its main term '${mainTerm}' (the term minimised) is ${value} before any update, on finite features; ${fix}`,
    );
}
