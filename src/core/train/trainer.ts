import * as tf from '@tensorflow/tfjs-core';
import { type LoadedCheckpoint, type SnapshotBuffer, startCheckpoint } from '../checkpoint/checkpoint';
import type { Experiment } from '../config/experiment';
import type { PairType, ResolvedStage } from '../config/stage';
import { UserError } from '../errors';
import type { LossInstance } from '../loss/loss';
import { augmentPipeline } from '../augment/augmentation';
import { AdamW } from '../optim/adamw';
import { hash32, Rng } from '../rng';
import type { Registry } from '../registry';
import { BatchAssembler, type PairBatch, type TrainData } from './batch';
import type { TrainModel } from '../model/train-model';
import { notify, type Observer, type RunInfo, type StageInfo } from './observer';
import { allocateBatch, PairSampler, type SamplerState } from './sampler';
import { checkpointTensors, restoreTensors, variableKeys } from './state';
import { trainStep, type StageTerms } from './step';
import { RunTimer } from './timings';
import { lrSchedule } from '../optim/lr-schedule';

export type Metrics = Record<string, unknown>;

export interface TrainerOptions {
  model: TrainModel;
  data: TrainData;
  stages: ResolvedStage[];
  registry: Registry;
  optimizer: Experiment['optimizer'];
  batchSize: number;
  seed: number;
  observers?: Observer[];
  /** Evaluates the model on a split; called after every stage (evalSplit) and at the end (testSplit). */
  evaluate?: (split: string, stage: string) => Promise<Metrics>;
  evalSplit?: string;
  testSplit?: string;
  checkpoints?: { dir: string; every: number; keep: number };
  resume?: LoadedCheckpoint;
  run?: Omit<RunInfo, 'stages' | 'totalSteps' | 'resumedFrom'>;
  /** Stop at the next step boundary (after writing a checkpoint), e.g. on SIGINT. */
  signal?: AbortSignal;
  /** Augmentations of image-caption batches (data.augment); a stage's own `augment` replaces them. */
  augment?: { id: string }[];
  /** Charged with the steps (per stage), evaluations (per stage, 'final') and checkpoint writes. */
  timer?: RunTimer;
}

export interface TrainResult {
  status: 'finished' | 'interrupted';
  globalStep: number;
  stages: { name: string; metrics: Metrics }[];
  final?: Metrics;
}

/** What a checkpoint's meta holds besides the tensors: enough to continue exactly where it stopped. */
export interface CheckpointMeta {
  stageIndex: number;
  stage: string;
  stepInStage: number; // steps of that stage done
  stageDone: boolean; // the stage's steps and its evaluation are done
  globalStep: number;
  sampler: SamplerState;
  stageMetrics: { name: string; metrics: Metrics }[];
  observers: Record<string, unknown>;
  time: string;
}

/** Steps of a stage: `until.steps`, or epochs over the pool with the largest share of the batch. */
export function stageSteps(stage: ResolvedStage, data: TrainData, batchSize: number): number {
  if ('steps' in stage.until) return stage.until.steps;
  const counts = allocateBatch(stage.batchSize ?? batchSize, stage.data);
  const [main, n] = counts.reduce((a, b) => (b[1] > a[1] ? b : a));
  const size = data.pools[main]?.size ?? 0;
  return Math.max(1, Math.ceil((stage.until.epochs * size) / n));
}

/** Loss instances shared by stages where (term name, loss, config) agree, so a learned temperature carries over. */
function createLosses(
  stages: ResolvedStage[],
  registry: Registry,
): { perStage: LossInstance[][]; mainTerms: string[][]; byKey: Map<string, LossInstance> } {
  const byKey = new Map<string, LossInstance>();
  const namesUsed = new Map<string, string>();
  const perStage = stages.map((s) =>
    s.terms.map((t) => {
      const key = `${t.name}|${t.loss}|${JSON.stringify(t.config)}`;
      let inst = byKey.get(key);
      if (!inst) {
        const name = namesUsed.has(t.name) ? `loss/${t.name}@${s.name}` : `loss/${t.name}`;
        namesUsed.set(t.name, key);
        inst = registry.get('loss', t.loss).create(t.config, { name });
        byKey.set(key, inst);
      }
      return inst;
    }),
  );
  const mainTerms = stages.map((s) => s.terms.map((t) => registry.get('loss', t.loss).mainTerm));
  return { perStage, mainTerms, byKey };
}

/**
 * The stage loop: per step a seeded mixed batch, weighted terms, gradients restricted to the stage's
 * trainable variables, global-norm clipping, AdamW (fresh moments per stage), linear warmup then cosine.
 * Evaluates after every stage, checkpoints every N steps and at stage ends, and resumes from a checkpoint.
 */
export async function train(o: TrainerOptions): Promise<TrainResult> {
  const observers = o.observers ?? [];
  const timer = o.timer ?? new RunTimer();
  const { evaluate, testSplit } = o;
  const steps = o.stages.map((s) => stageSteps(s, o.data, o.batchSize));
  const totalSteps = steps.reduce((a, b) => a + b, 0);
  const { perStage, mainTerms, byKey } = createLosses(o.stages, o.registry);
  const keys = variableKeys(o.model, byKey);
  const sampler = new PairSampler(o.data.pools, o.seed);
  const capacity = Math.max(o.batchSize, ...o.stages.map((s) => s.batchSize ?? 0));
  const assembler = new BatchAssembler(o.data, capacity, Math.max(1, ...o.stages.map((s) => s.captionsPerImage ?? 1)));
  let stageMetrics: TrainResult['stages'] = [];
  let startStage = 0;
  let startStep = 0;
  let globalStep = 0;
  let resumeOptimizer: tf.NamedTensorMap | undefined;
  let writing: Promise<string> | undefined; // the checkpoint being written in the background
  try {
    if (o.resume) {
      const meta = o.resume.meta as unknown as CheckpointMeta;
      resumeOptimizer = restoreTensors(o.resume, keys);
      sampler.restore(meta.sampler);
      stageMetrics = meta.stageMetrics;
      startStage = meta.stageIndex + (meta.stageDone ? 1 : 0);
      startStep = meta.stageDone ? 0 : meta.stepInStage;
      globalStep = meta.globalStep;
      observers.forEach((ob, i) => ob.restore?.(meta.observers[String(i)]));
      if (meta.stageDone) resumeOptimizer = undefined;
    }
    const resumedFrom = o.resume
      ? { globalStep, stage: o.stages[Math.min(startStage, o.stages.length - 1)]!.name }
      : undefined;
    await notify(observers, 'onRunStart', {
      runId: '',
      runDir: '',
      experiment: { id: '', seed: o.seed },
      backend: tf.getBackend(),
      threads: 1,
      ...o.run,
      stages: o.stages.map((s, i) => ({ name: s.name, steps: steps[i]! })),
      totalSteps,
      resumedFrom,
    });

    // A checkpoint's values are copied at once; its files are hashed and written while the next step trains, and
    // that step waits for them before its history row: once that row is written, the checkpoint is on disk.
    const finishWrite = async () => {
      const w = writing;
      writing = undefined;
      if (w) await timer.time('checkpoints', () => w);
    };
    const snapshotBuffer: SnapshotBuffer = {}; // reused: a save starts after the previous write (finishWrite)
    const save = async (stageIndex: number, stepInStage: number, stageDone: boolean, opt?: AdamW) => {
      if (!o.checkpoints) return;
      const meta: CheckpointMeta = {
        stageIndex,
        stage: o.stages[stageIndex]!.name,
        stepInStage,
        stageDone,
        globalStep,
        sampler: sampler.state(),
        stageMetrics,
        observers: Object.fromEntries(
          observers.map((ob, i) => [String(i), ob.state?.()]).filter(([, s]) => s !== undefined),
        ),
        time: new Date().toISOString(),
      };
      const { dir, keep } = o.checkpoints;
      const tensors = checkpointTensors(keys, stageDone ? undefined : opt);
      await finishWrite(); // one write at a time
      const w = await timer.time('checkpoints', () =>
        startCheckpoint(dir, globalStep, tensors, meta as unknown as Record<string, unknown>, keep, snapshotBuffer),
      );
      writing = w.written;
      writing.catch(() => {}); // its error surfaces where it is awaited
    };

    let t0 = performance.now();
    let trainSec = 0;
    let recent = 0; // EMA of seconds per step
    for (let si = startStage; si < o.stages.length; si++) {
      const stage = o.stages[si]!;
      const n = steps[si]!;
      const first = si === startStage ? startStep : 0;
      const terms: StageTerms = {
        stage,
        losses: perStage[si]!,
        mainTerms: mainTerms[si]!,
        variables: stageVariables(o.model, stage, perStage[si]!),
      };
      const optimizer = new AdamW({
        beta1: o.optimizer.beta1,
        beta2: o.optimizer.beta2,
        epsilon: o.optimizer.epsilon,
        weightDecay: o.optimizer.weightDecay,
      });
      try {
        if (si === startStage && resumeOptimizer)
          optimizer.loadState(resumeOptimizer, `${o.resume!.dir}: optimizer state`);
        const info: StageInfo = { name: stage.name, index: si, steps: n, startStep: first };
        await notify(observers, 'onStageStart', info);
        const bs = stage.batchSize ?? o.batchSize;
        const alloc = allocateBatch(bs, stage.data);
        const augment = augmentPipeline(
          (stage.augment ?? o.augment ?? []).map(({ id, ...cfg }) => o.registry.create('augmentation', id, cfg)),
        );
        const lrAt = lrSchedule(
          {
            base: stage.lr ?? o.optimizer.lr,
            warmupFraction: stage.warmup ?? o.optimizer.warmup,
            totalSteps: n,
            minRatio: o.optimizer.minLrRatio,
          },
          `${stage.name} learning rate`,
        );
        for (let step = first + 1; step <= n; step++) {
          const batches = new Map<PairType, PairBatch>();
          for (const [pair, count] of alloc) {
            const at = sampler.state()[pair] ?? { epoch: 0, cursor: 0 }; // the draw's position seeds its augmentation: resume-exact
            const key = `${o.seed}/${pair}/${at.epoch}/${at.cursor}`;
            const batch = assembler.assemble(
              pair,
              sampler.draw(pair, count),
              stage.captionsPerImage ?? 1,
              new Rng(hash32(`captions/${key}`)),
            );
            if (batch.images) augment({ ...batch.images, n: batch.n }, key);
            if (batch.rightImages) augment({ ...batch.rightImages, n: batch.n }, `${key}/right`);
            batches.set(pair, batch);
          }
          const lr = lrAt(step - 1);
          const { losses } = trainStep(
            o.model,
            terms,
            batches,
            (g, scale) => optimizer.step(g, lr, scale),
            o.optimizer.clipNorm,
          );
          globalStep++;
          if (!Number.isFinite(losses.loss!) || !Number.isFinite(losses.gradNorm ?? 0)) {
            const bad = Object.entries(losses)
              .filter(([, v]) => !Number.isFinite(v))
              .map(([k, v]) => `${k}=${v}`)
              .join(', ');
            throw new UserError(
              `${stage.name} step ${step}: loss or gradient is not finite (${bad}); lower optimizer.lr (or the stage's lr) or set optimizer.clipNorm`,
            );
          }
          const now = performance.now();
          const dt = (now - t0) / 1000;
          t0 = now;
          trainSec += dt;
          timer.add('steps', dt, stage.name);
          recent = recent === 0 ? dt : 0.9 * recent + 0.1 * dt;
          await finishWrite();
          await notify(observers, 'onStepEnd', {
            stage: stage.name,
            stageIndex: si,
            step,
            stageSteps: n,
            globalStep,
            totalSteps,
            lr,
            losses,
            batchSize: bs,
            samplesPerSec: bs / Math.max(dt, 1e-9),
            elapsedSec: trainSec,
            etaSec: recent * (totalSteps - globalStep),
            time: new Date().toISOString(),
          });
          await new Promise((r) => setImmediate(r)); // let signals (Ctrl-C) and I/O in between steps
          const every = o.checkpoints?.every ?? 0;
          if (step < n && ((every > 0 && globalStep % every === 0) || o.signal?.aborted))
            await save(si, step, false, optimizer);
          if (o.signal?.aborted && step < n) {
            await finishWrite();
            return { status: 'interrupted', globalStep, stages: stageMetrics };
          }
          t0 = performance.now();
        }
        let metrics: Metrics | undefined;
        if (evaluate) {
          const e0 = performance.now();
          const split = o.evalSplit ?? 'val';
          metrics = await timer.time('eval', () => evaluate(split, stage.name), stage.name);
          await notify(observers, 'onEvalEnd', {
            stage: stage.name,
            split,
            metrics,
            seconds: (performance.now() - e0) / 1000,
          });
          stageMetrics = [...stageMetrics, { name: stage.name, metrics }];
        }
        // observers first: their state (e.g. the run recorder's stage metrics) travels in the stage-end checkpoint
        await notify(observers, 'onStageEnd', { ...info, metrics });
        await save(si, n, true);
        t0 = performance.now();
        if (o.signal?.aborted && si < o.stages.length - 1) {
          await finishWrite();
          return { status: 'interrupted', globalStep, stages: stageMetrics };
        }
      } finally {
        optimizer.dispose();
      }
    }
    let final: Metrics | undefined;
    if (evaluate && testSplit) {
      const e0 = performance.now();
      final = await timer.time('eval', () => evaluate(testSplit, 'final'), 'final');
      await notify(observers, 'onEvalEnd', {
        stage: 'final',
        split: testSplit,
        metrics: final,
        seconds: (performance.now() - e0) / 1000,
      });
    }
    await finishWrite(); // the last stage's checkpoint, written during the test evaluation
    return { status: 'finished', globalStep, stages: stageMetrics, final };
  } finally {
    await writing?.catch(() => {}); // after an error: let the write end (its temp directory is not left behind)
    if (resumeOptimizer) for (const t of Object.values(resumeOptimizer)) t.dispose();
    for (const l of byKey.values()) l.dispose();
  }
}

/** The variables a stage updates: its trainable modules' and its losses' own (temperature, bias). */
export function stageVariables(model: TrainModel, stage: ResolvedStage, losses: LossInstance[]): tf.Variable[] {
  const out = stage.trainable.flatMap((m) => model.modules[m] ?? []);
  for (const l of new Set(losses)) out.push(...l.variables);
  return out;
}
