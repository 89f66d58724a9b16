// The stage-3 training step of an experiment's three-stage curriculum, built from the real unified model, loss
// plugins, global-norm clipping and AdamW, on synthetic batches with real shapes: the experiment's model, its
// stage-3 batch mix and captions per image. It mirrors src/core/train/step.ts (same pairs, terms, weights and
// no-gradient target) without its config/sampler plumbing, so the benchmark and bench/torch-reference.py can
// build exactly the same step from one description (StepShape).
import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/nn/gradients'; // registers tfjs-core's gradient functions
import { createUnifiedModel, type UnifiedModel } from '../../src/core/model/unified';
import { withTableGrads } from '../../src/core/backend/table-grad';
import { drainDeferred } from '../../src/core/backend/simd/pool';
import { withDeferredBackward, withMeanwhile } from '../../src/core/nn/defer';
import { AdamW } from '../../src/core/optim/adamw';
import { clipCoefficient, globalNorm } from '../../src/core/optim/clip';
import type { EncodedBatch } from '../../src/core/text/tokenizer';
import type { NluOutputs } from '../../src/core/model/train-model';
import { l2Normalize } from '../../src/core/nn/ops';
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
  /** image-vit: patches + transformer; image-cnn: conv 3×3 (k) + ReLU + 2×2 max pool per stage, mean pool, projection. */
  image:
    | {
        kind: 'vit';
        imageSize: number;
        patchSize: number;
        hidden: number;
        layers: number;
        heads: number;
        mlpRatio: number;
      }
    | { kind: 'cnn'; imageSize: number; channels: number[]; kernel: number };
  fusionHeads: number;
  gateInit: number;
  numIntents: number; // I
  numSlotLabels: number; // S (BIO)
  batch: number; // whole step, split over the 4 stage-3 pair types as the experiment's stage-3 data mix
  /** Rows of each stage-3 pair type: image-caption, query-chunk, query-nlu, query-semantic. */
  pairs: { ic: number; qc: number; nlu: number; sem: number };
  /** Captions averaged into the text side of each image (the stage's captionsPerImage). */
  captionsPerImage: number;
  weights: { a: number; b: number }; // L = L_TI + a·L_QC + b·(intent + slot + align)
  lr: number;
  weightDecay: number; // AdamW λ on rank ≥ 2 variables only
  clipNorm: number;
  temperature: number; // info-nce τ0 (logitScale = log 1/τ0, learned, clamped at log 100)
  params: number; // unir's trainable parameter count (model + the two logit scales)
  /** Training FLOPs per step: 3 × forward of every encoder pass under the tape + 1 × the no-gradient target pass. */
  flopsPerStep: number;
}

/** The experiments whose stage-3 step is measured: model, batch, stage-3 mix and captions per image come from the file. */
export const MODELS = { paper: 'paper-three-stage', smoke: 'smoke' } as const;
export type ModelName = keyof typeof MODELS;

/** emoji-cldr's NLU queries: 4 intents; slots object, time → BIO tags O, B/I-object, B/I-time. */
const NUM_INTENTS = 4;
const NUM_SLOT_LABELS = 5;

/** Experiment `name` resolved as a run resolves it (its experiment and stages). */
export async function resolvedExperiment(name: ModelName) {
  const { loadExperiment } = await import('../../src/core/config/load');
  const { resolveExperiment } = await import('../../src/core/config/experiment');
  const { modelSpecParser } = await import('../../src/core/model/spec');
  const { input } = await loadExperiment(MODELS[name], {});
  return resolveExperiment(input, registry(), { modelSpec: modelSpecParser });
}

/** Experiment `name` resolved, with its stage 1's images per batch (the image–caption share of stage 1's batch; 0 if none). */
export async function stage1Images(name: ModelName) {
  const { allocateBatch } = await import('../../src/core/train/sampler');
  const { experiment, stages } = await resolvedExperiment(name);
  const s1 = stages[0]!;
  const images = new Map(allocateBatch(s1.batchSize ?? experiment.data.batchSize, s1.data)).get('image-caption') ?? 0;
  return { experiment, images };
}

/** The experiment resolved as a run resolves it: model spec, stage 3 (its mix, batch, captions per image), lr. */
async function experimentStep(name: ModelName) {
  const { allocateBatch } = await import('../../src/core/train/sampler');
  const { experiment: e, stages } = await resolvedExperiment(name);
  const s3 = stages[stages.length - 1]!;
  const batch = s3.batchSize ?? e.data.batchSize;
  const counts = Object.fromEntries(allocateBatch(batch, s3.data)) as Record<string, number>;
  const pairs = {
    ic: counts['image-caption'] ?? 0,
    qc: counts['query-chunk'] ?? 0,
    nlu: counts['query-nlu'] ?? 0,
    sem: counts['query-semantic'] ?? 0,
  };
  if (Object.keys(counts).length !== 4 || Object.values(pairs).some((n) => n === 0)) {
    throw new Error(
      `bench: ${MODELS[name]}'s last stage mixes ${Object.keys(counts).join(', ')}; the bench step needs image-caption, query-chunk, query-nlu and query-semantic`,
    );
  }
  return {
    model: e.model,
    batch,
    pairs,
    captionsPerImage: s3.captionsPerImage,
    lr: s3.lr ?? e.optimizer.lr,
    weights: { a: s3.weights.a ?? 1, b: s3.weights.b ?? 1 },
  };
}

/** Deterministic PRNG for the synthetic batches. */
const rng = mulberry32;

/** B texts of T real tokens (CLS + words), each word a full bag of G piece ids in [2, V): word-ngram's worst case. */
function tokenBatch(b: number, t: number, g: number, vocab: number, clsId: number, r: () => number): EncodedBatch {
  const ids = new Int32Array(b * t * g);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < t; j++)
      for (let k = 0; k < g; k++) ids[(i * t + j) * g + k] = j === 0 ? clsId : 2 + Math.floor(r() * (vocab - 2));
  }
  const wordIndex = new Int32Array(b * t).map((_, x) => (x % t === 0 ? -1 : (x % t) - 1));
  return {
    batch: b,
    length: t,
    pieces: g,
    ids,
    mask: new Float32Array(b * t).fill(1),
    wordIndex,
    firstPiece: Uint8Array.from(wordIndex, (w) => (w >= 0 ? 1 : 0)),
    words: Array.from({ length: b }, () => []),
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
  const cfg = await experimentStep(name);
  const reg = registry();
  const model: UnifiedModel = await createUnifiedModel(cfg.model, {
    numIntents: NUM_INTENTS,
    numSlotLabels: NUM_SLOT_LABELS,
    seed,
    registry: reg,
  });
  const s = model.spec;
  const tok = model.tokenizer;
  const { ic, qc: nqc, nlu: nnlu, sem } = cfg.pairs;
  const k = cfg.captionsPerImage;
  const r = rng(seed);
  const T = tok.maxLength;
  const G = tok.pieces;
  const texts = (n: number) => tokenBatch(n, T, G, tok.vocabSize, tok.clsId, r);
  const S = model.parts.image.imageSize;
  const captions = texts(ic * k),
    chunks = texts(nqc),
    semantic = texts(sem),
    q1 = texts(nqc),
    q2 = texts(nnlu),
    q3 = texts(sem);
  const images = tf.tensor4d(Float32Array.from({ length: ic * S * S * 3 }, r), [ic, S, S, 3]);
  const intentLabels = tf.tensor1d(
    Int32Array.from({ length: nnlu }, () => Math.floor(r() * NUM_INTENTS)),
    'int32',
  );
  const slotLabels = tf.tensor2d(
    Int32Array.from({ length: nnlu * T }, () => Math.floor(r() * NUM_SLOT_LABELS)),
    [nnlu, T],
    'int32',
  );
  const slotMask = tf.tensor2d(q2.firstPiece, [nnlu, T], 'float32');
  const temperature = 0.07;
  const make = (id: string, lossName?: string) =>
    reg.create('loss', id, id === 'info-nce' ? { temperature } : {}, lossName ? { name: lossName } : undefined);
  const lTI = make('info-nce', 'L_TI'),
    lQC = make('info-nce', 'L_QC');
  const lIntent = make('intent-ce'),
    lSlot = make('slot-ce'),
    lAlign = make('mse-align');
  const losses = [lTI, lQC, lIntent, lSlot, lAlign];
  const variables = [...Object.values(model.modules).flat(), ...losses.flatMap((l) => l.variables)];
  const opt = new AdamW({ weightDecay: 0.01 });
  const { a, b } = cfg.weights;
  const clipNorm = 1;

  const f = model.flopsPerSample();
  // under the tape: images and k captions per image (ti), chunks + fused queries (qc), NLU (intent, slot), fused
  // queries (align); plus the no-gradient semantic target
  const tape =
    ic * (f.image + k * f.text) +
    nqc * (2 * f.text + f.nlu + f.fusion) +
    nnlu * f.nlu +
    sem * (f.text + f.nlu + f.fusion);
  const flopsPerStep = 3 * tape + sem * f.text;
  const part = (p: Record<string, unknown>) => ({
    hidden: p.hidden as number,
    layers: p.layers as number,
    heads: p.heads as number,
    mlpRatio: p.mlpRatio as number,
  });
  const imageShape: StepShape['image'] =
    s.image.id === 'image-cnn'
      ? { kind: 'cnn', imageSize: S, channels: s.image.channels as number[], kernel: s.image.kernel as number }
      : { kind: 'vit', ...part(s.image), imageSize: S, patchSize: s.image.patchSize as number };
  if (s.image.id === 'image-cnn' && (s.image.separable || s.image.pool !== 'max'))
    throw new Error('bench: the torch reference mirrors image-cnn with full convs and max pooling only');
  const shape: StepShape = {
    model: name,
    dim: s.dim,
    vocabSize: tok.vocabSize,
    pieces: G,
    maxLength: T,
    padId: tok.padId,
    text: part(s.text),
    nlu: part(s.nlu),
    image: imageShape,
    fusionHeads: s.fusion.heads as number,
    gateInit: s.fusion.gateInit as number,
    numIntents: NUM_INTENTS,
    numSlotLabels: NUM_SLOT_LABELS,
    batch: ic + nqc + nnlu + sem,
    pairs: cfg.pairs,
    captionsPerImage: k,
    weights: cfg.weights,
    lr: cfg.lr,
    weightDecay: 0.01,
    clipNorm,
    temperature,
    params: numel(variables),
    flopsPerStep,
  };

  const step = (): number => {
    // the image tower's backward pass on a worker during the text side's, as src/core/train/step.ts (one image pass)
    const { value, grads } = withDeferredBackward(() =>
      tf.tidy(() => {
        const target = model.encodeText(semantic, false); // (n, D), no gradient (constantFeatures)
        return withTableGrads(
          () =>
            tf.variableGrads(() => {
              // the step's model calls at once, in pairFeatures' order (src/core/train/features.ts callsAtOnce), while
              // the image tower's convolutions run on a worker (src/core/train/step.ts withMeanwhile)
              type Calls = [
                tf.Tensor2D,
                { embedding: tf.Tensor2D },
                tf.Tensor2D,
                NluOutputs,
                { embedding: tf.Tensor2D },
              ];
              let calls: Calls | undefined;
              const image = withMeanwhile(
                (meanwhile) => model.encodeImage(images, true, meanwhile),
                () => {
                  calls = model.encodeCalls([
                    { kind: 'text', batch: captions, training: true },
                    { kind: 'query', batch: q1, training: true, useNlu: true },
                    { kind: 'text', batch: chunks, training: true },
                    { kind: 'nlu', batch: q2, training: true },
                    { kind: 'query', batch: q3, training: true, useNlu: true },
                  ]) as Calls;
                },
              );
              const [text, query1, chunk, out, query3] = calls!;
              // (ic·k, D): k captions per image, averaged (src/core/train/features.ts)
              const caption =
                k === 1 ? text : l2Normalize(tf.mean(tf.reshape(text, [ic, k, text.shape[1]]), 1) as tf.Tensor2D);
              const ti = lTI.compute({ a: image, b: caption }).infoNce!;
              const qc = lQC.compute({ a: query1.embedding, b: chunk }).infoNce!;
              const intent = lIntent.compute({ intentLogits: out.intentLogits, intentLabels }).intentCe!;
              const slot = lSlot.compute({ slotLogits: out.slotLogits, slotLabels, slotMask }).slotCe!;
              const align = lAlign.compute({ enhanced: query3.embedding, target }).mseAlign!;
              return tf.addN([ti, tf.mul(qc, a), tf.mul(tf.addN([intent, slot, align]), b)]) as tf.Scalar;
            }, variables),
          { compact: true }, // embedding-table gradients as compact touched rows, as src/core/train/step.ts
        );
      }),
    );
    drainDeferred();
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
