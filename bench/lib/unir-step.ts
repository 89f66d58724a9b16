// The stage-3 training step of the three-stage curriculum, built from the real unified model, loss plugins,
// global-norm clipping and AdamW, on synthetic batches with real shapes. It mirrors src/core/train/step.ts
// (same pairs, terms, weights and no-gradient target) without its config/sampler plumbing, so the benchmark
// and bench/torch-reference.py can build exactly the same step from one description (StepShape).
import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/nn/gradients'; // registers tfjs-core's gradient functions
import { createUnifiedModel, type UnifiedModel } from '../../src/core/model/unified';
import type { LossInstance } from '../../src/core/loss/loss';
import { AdamW } from '../../src/core/optim/adamw';
import { clipCoefficient, globalNorm } from '../../src/core/optim/clip';
import type { EncodedBatch } from '../../src/core/text/tokenizer';
import { registry } from '../../src/plugins';
import { mulberry32 } from '../../src/core/rng';

/** Everything bench/torch-reference.py needs to build the same model and step (passed to it as JSON). */
export interface StepShape {
  model: string; // 'paper' | 'smoke'
  dim: number; // D
  vocabSize: number; // V = word-ngram buckets + 2
  pieces: number; // G
  maxLength: number; // T incl. CLS
  padId: number;
  text: { hidden: number; layers: number; heads: number; mlpRatio: number };
  nlu: { hidden: number; layers: number; heads: number; mlpRatio: number };
  image: { imageSize: number; patchSize: number; hidden: number; layers: number; heads: number; mlpRatio: number };
  fusionHeads: number;
  gateInit: number;
  numIntents: number; // I
  numSlotLabels: number; // S (BIO)
  batch: number; // whole step; split equally over the 4 stage-3 pair types
  perPair: number; // batch / 4
  weights: { a: number; b: number }; // L = L_TI + a·L_QC + b·(intent + slot + align)
  lr: number;
  weightDecay: number; // AdamW λ on rank ≥ 2 variables only
  clipNorm: number;
  temperature: number; // info-nce τ0 (logitScale = log 1/τ0, learned, clamped at log 100)
  params: number; // unir's trainable parameter count (model + the two logit scales)
  /** Training FLOPs per step: 3 × forward of every encoder pass under the tape + 1 × the no-gradient target pass. */
  flopsPerStep: number;
}

/** The model specs of experiments/paper-three-stage.ts and experiments/smoke.ts, with their batch sizes. */
export const MODELS = {
  paper: { batch: 64, lr: 1e-3, weights: { a: 0.5, b: 0.3 } },
  smoke: { batch: 24, lr: 3e-3, weights: { a: 1, b: 1 } },
} as const;
export type ModelName = keyof typeof MODELS;

/** emoji-cldr's NLU queries: 4 intents; slots object, time → BIO tags O, B/I-object, B/I-time. */
const NUM_INTENTS = 4;
const NUM_SLOT_LABELS = 5;

async function experimentModelSpec(name: ModelName): Promise<Record<string, unknown>> {
  const file = name === 'paper' ? '../../experiments/paper-three-stage' : '../../experiments/smoke';
  const mod = (await import(file)) as { default: { model: Record<string, unknown> } };
  return mod.default.model;
}

/** Deterministic PRNG for the synthetic batches. */
const rng = mulberry32;

/** B texts of T real tokens (CLS + words), each word a full bag of G piece ids in [2, V): word-ngram's worst case. */
function tokenBatch(b: number, t: number, g: number, vocab: number, clsId: number, r: () => number): EncodedBatch {
  const ids = new Int32Array(b * t * g);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < t; j++) for (let k = 0; k < g; k++) ids[(i * t + j) * g + k] = j === 0 ? clsId : 2 + Math.floor(r() * (vocab - 2));
  }
  const wordIndex = new Int32Array(b * t).map((_, x) => (x % t === 0 ? -1 : (x % t) - 1));
  return {
    batch: b, length: t, pieces: g, ids, mask: new Float32Array(b * t).fill(1), wordIndex,
    firstPiece: Uint8Array.from(wordIndex, (w) => (w >= 0 ? 1 : 0)), words: Array.from({ length: b }, () => []),
  };
}

export interface UnirStep {
  shape: StepShape;
  /** One full optimisation step; returns the total loss (synchronised). */
  step(): number;
  dispose(): void;
}

const numel = (vs: tf.Variable[]) => vs.reduce((s, v) => s + v.size, 0);

/** Builds the model of experiment `name` and a closure running its stage-3 step on fixed synthetic batches. */
export async function buildUnirStep(name: ModelName, seed = 1): Promise<UnirStep> {
  const cfg = MODELS[name];
  const reg = registry();
  const model: UnifiedModel = await createUnifiedModel(await experimentModelSpec(name), { numIntents: NUM_INTENTS, numSlotLabels: NUM_SLOT_LABELS, seed, registry: reg });
  const s = model.spec;
  const tok = model.tokenizer;
  const n = cfg.batch / 4;
  const r = rng(seed);
  const T = tok.maxLength;
  const G = tok.pieces;
  const texts = () => tokenBatch(n, T, G, tok.vocabSize, tok.clsId, r);
  const S = model.parts.image.imageSize;
  const captions = texts(), chunks = texts(), semantic = texts(), q1 = texts(), q2 = texts(), q3 = texts();
  const images = tf.tensor4d(Float32Array.from({ length: n * S * S * 3 }, r), [n, S, S, 3]);
  const intentLabels = tf.tensor1d(Int32Array.from({ length: n }, () => Math.floor(r() * NUM_INTENTS)), 'int32');
  const slotLabels = tf.tensor2d(Int32Array.from({ length: n * T }, () => Math.floor(r() * NUM_SLOT_LABELS)), [n, T], 'int32');
  const slotMask = tf.tensor2d(q2.firstPiece, [n, T], 'float32');
  const temperature = 0.07;
  const make = (id: string, lossName?: string) => reg.create<LossInstance>('loss', id, id === 'info-nce' ? { temperature } : {}, lossName ? { name: lossName } : undefined);
  const lTI = make('info-nce', 'L_TI'), lQC = make('info-nce', 'L_QC');
  const lIntent = make('intent-ce'), lSlot = make('slot-ce'), lAlign = make('mse-align');
  const losses = [lTI, lQC, lIntent, lSlot, lAlign];
  const variables = [...Object.values(model.modules).flat(), ...losses.flatMap((l) => l.variables)];
  const opt = new AdamW({ weightDecay: 0.01 });
  const { a, b } = cfg.weights;
  const clipNorm = 1;

  const f = model.flopsPerSample();
  const flopsPerStep = 3 * n * (f.image + 4 * f.text + 3 * f.nlu + 2 * f.fusion) + n * f.text;
  const part = (p: Record<string, unknown>) => ({ hidden: p.hidden as number, layers: p.layers as number, heads: p.heads as number, mlpRatio: p.mlpRatio as number });
  const shape: StepShape = {
    model: name, dim: s.dim, vocabSize: tok.vocabSize, pieces: G, maxLength: T, padId: tok.padId,
    text: part(s.text), nlu: part(s.nlu),
    image: { ...part(s.image), imageSize: S, patchSize: s.image.patchSize as number },
    fusionHeads: s.fusion.heads as number, gateInit: s.fusion.gateInit as number,
    numIntents: NUM_INTENTS, numSlotLabels: NUM_SLOT_LABELS, batch: cfg.batch, perPair: n, weights: cfg.weights,
    lr: cfg.lr, weightDecay: 0.01, clipNorm, temperature, params: numel(variables), flopsPerStep,
  };

  const step = (): number => {
    const { value, grads } = tf.tidy(() => {
      const target = model.encodeText(semantic, false); // (n, D), no gradient (constantFeatures)
      return tf.variableGrads(() => {
        const ti = lTI.compute({ a: model.encodeImage(images, true), b: model.encodeText(captions, true) }).infoNce!;
        const qc = lQC.compute({ a: model.encodeQuery(q1, true, true).embedding, b: model.encodeText(chunks, true) }).infoNce!;
        const out = model.runNlu(q2, true);
        const intent = lIntent.compute({ intentLogits: out.intentLogits, intentLabels }).intentCe!;
        const slot = lSlot.compute({ slotLogits: out.slotLogits, slotLabels, slotMask }).slotCe!;
        const align = lAlign.compute({ enhanced: model.encodeQuery(q3, true, true).embedding, target }).mseAlign!;
        return tf.addN([ti, tf.mul(qc, a), tf.mul(tf.addN([intent, slot, align]), b)]) as tf.Scalar;
      }, variables);
    });
    const loss = value.dataSync()[0]!;
    value.dispose();
    opt.step(grads, cfg.lr, clipCoefficient(globalNorm(grads), clipNorm)); // as src/core/train/step.ts
    for (const g of Object.values(grads)) g.dispose();
    return loss;
  };

  return {
    shape,
    step,
    dispose() {
      opt.dispose();
      for (const l of losses) l.dispose();
      tf.dispose([images, intentLabels, slotLabels, slotMask]);
      model.dispose();
    },
  };
}
