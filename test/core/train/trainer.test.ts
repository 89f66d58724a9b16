import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints, loadLatestCheckpoint } from '../../../src/core/checkpoint/checkpoint';
import { resolveCurriculum } from '../../../src/core/config/curriculum';
import { OptimizerSchema } from '../../../src/core/config/experiment';
import type { ResolvedStage } from '../../../src/core/config/stage';
import { lrSchedule } from '../../../src/core/optim/lr-schedule';
import type { TrainData } from '../../../src/core/train/batch';
import type { TrainModel } from '../../../src/core/model/train-model';
import type { Observer, StepInfo } from '../../../src/core/train/observer';
import { stageSteps, train, type TrainerOptions } from '../../../src/core/train/trainer';
import { createRegistry } from '../../../src/plugins';
import { TOY, toyData, toyModel } from './toy';

const registry = createRegistry({ warn: () => {} });
let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'unir-trainer-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const threeStage = (s1: number, s2: number, s3: number): ResolvedStage[] =>
  resolveCurriculum({ id: 'three-stage', steps: { stage1: s1, stage2: s2, stage3: s3 } }, registry);

/** Image → caption R@1 on the toy data, by brute force (an oracle independent of the trainer). */
async function toyEval(model: TrainModel, data: TrainData): Promise<Record<string, unknown>> {
  const pool = data.pools['image-caption']!;
  return tf.tidy(() => {
    const img = model.encodeImage(
      tf.tensor4d(data.images!.data, [data.images!.n, TOY.imageSize, TOY.imageSize, 3]),
      false,
    );
    const rows = [...new Set(pool.right)];
    const t = data.texts;
    const ids = new Int32Array(rows.length * t.length);
    const mask = new Float32Array(rows.length * t.length);
    rows.forEach((r, i) => {
      ids.set(t.ids.subarray(r * t.length, (r + 1) * t.length), i * t.length);
      mask.set(t.mask.subarray(r * t.length, (r + 1) * t.length), i * t.length);
    });
    const cap = model.encodeText(
      {
        batch: rows.length,
        length: t.length,
        pieces: 1,
        ids,
        mask,
        wordIndex: new Int32Array(ids.length),
        firstPiece: new Uint8Array(ids.length),
        words: [],
      },
      false,
    );
    const best = tf.argMax(tf.matMul(img, cap, false, true), 1).dataSync();
    let hits = 0;
    for (let i = 0; i < pool.size; i++) hits += rows[best[pool.left[i]!]!] === pool.right[i] ? 1 : 0;
    return {
      i2tR1: hits / pool.size,
      weightSum: tf
        .addN(
          Object.values(model.modules)
            .flat()
            .map((v) => tf.sum(v)),
        )
        .dataSync()[0],
    };
  });
}

interface RunOut {
  steps: StepInfo[];
  result: Awaited<ReturnType<typeof train>>;
  model: TrainModel;
  tensorsAt: number[];
}

async function runToy(opts: {
  stages: ResolvedStage[];
  seed?: number;
  dir?: string;
  every?: number;
  crashAt?: number;
  resume?: boolean;
  keep?: boolean;
  lr?: number;
  augment?: { id: string }[];
}): Promise<RunOut> {
  const data = toyData(12);
  const model = toyModel({ ...TOY, seed: opts.seed ?? 3 });
  const steps: StepInfo[] = [];
  const tensorsAt: number[] = [];
  const recorder: Observer = {
    onStepEnd(s) {
      steps.push(s);
      tensorsAt.push(tf.memory().numTensors);
      if (s.globalStep === opts.crashAt) throw new Error('simulated crash');
    },
  };
  const o: TrainerOptions = {
    model,
    data,
    stages: opts.stages,
    registry,
    seed: opts.seed ?? 3,
    batchSize: 8,
    observers: [recorder],
    optimizer: OptimizerSchema.parse({ lr: opts.lr ?? 0.05, weightDecay: 0 }),
    evaluate: async () => toyEval(model, data),
    evalSplit: 'val',
    testSplit: 'test',
    checkpoints: opts.dir ? { dir: opts.dir, every: opts.every ?? 0, keep: 2 } : undefined,
    resume: opts.resume && opts.dir ? await loadLatestCheckpoint(opts.dir) : undefined,
    augment: opts.augment,
  };
  try {
    const result = await train(o);
    return { steps, result, model, tensorsAt };
  } finally {
    if (!opts.keep) model.dispose();
  }
}

describe('trainer on a toy model', () => {
  it('counts an epoch over the pool with the largest share of the batch', () => {
    const [s1] = resolveCurriculum(
      { id: 'three-stage', stages: { stage1: { until: { steps: null, epochs: 2 } } } },
      registry,
    );
    // batch 8 → image-caption 4, caption-chunk 2, query-chunk 2; image-caption has 24 pairs: 2 epochs = 12 steps
    expect(stageSteps(s1!, toyData(12), 8)).toBe(12);
    expect(stageSteps({ ...s1!, until: { epochs: 0.1 } }, toyData(12), 8)).toBe(1);
  });

  it('is deterministic: the same seed gives the same losses, step for step', async () => {
    const stages = threeStage(4, 3, 3);
    const a = await runToy({ stages });
    const b = await runToy({ stages });
    expect(a.steps.map((s) => s.losses)).toEqual(b.steps.map((s) => s.losses));
    expect(a.result.final).toEqual(b.result.final);
    // warmup (10%) then cosine, restarting in every stage
    const lrs = stages.map((s) => lrSchedule({ base: 0.05, totalSteps: (s.until as { steps: number }).steps }));
    expect(a.steps.map((s) => s.lr)).toEqual(a.steps.map((s) => lrs[s.stageIndex]!(s.step - 1)));
    const c = await runToy({ stages, seed: 4 });
    expect(c.steps.map((s) => s.losses.loss)).not.toEqual(a.steps.map((s) => s.losses.loss));
  });

  it('keeps frozen modules bit-identical through a stage and updates the trainable ones', async () => {
    const stages = threeStage(1, 5, 1).slice(1, 2); // stage2 only: nlu + fusion train, text + image frozen
    const data = toyData(12);
    const model = toyModel({ ...TOY, seed: 3 });
    const snap = () =>
      Object.fromEntries(Object.entries(model.modules).map(([m, vs]) => [m, vs.map((v) => v.dataSync().slice())]));
    const before = snap();
    await train({
      model,
      data,
      stages,
      registry,
      seed: 1,
      batchSize: 8,
      optimizer: OptimizerSchema.parse({ lr: 0.05 }),
    });
    const after = snap();
    model.dispose();
    expect(after.text).toEqual(before.text);
    expect(after.image).toEqual(before.image);
    expect(after.nlu).not.toEqual(before.nlu);
    expect(after.fusion).not.toEqual(before.fusion);
  });

  it('lowers the loss and leaks no tensors across steps', async () => {
    const stages = resolveCurriculum(
      {
        id: 'custom',
        stages: {
          only: {
            until: { steps: 40 },
            train: ['text', 'image'],
            terms: [{ name: 'ti', loss: 'info-nce', pair: 'image-caption' }],
          },
        },
      },
      registry,
    );
    const r = await runToy({ stages, lr: 0.05 });
    const loss = r.steps.map((s) => s.losses.ti!);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(loss.slice(-5))).toBeLessThan(0.7 * mean(loss.slice(0, 5)));
    expect(r.tensorsAt[39]).toBe(r.tensorsAt[4]);
    expect((r.result.final as { i2tR1: number }).i2tR1).toBeGreaterThan(0.5);
  });

  it('resumes after a crash mid-stage-2 to the same losses and final metrics as an uninterrupted run', async () => {
    const stages = threeStage(4, 6, 3);
    const full = await runToy({ stages });
    const dir = join(tmp, 'crash', 'checkpoints');
    await expect(runToy({ stages, dir, every: 3, crashAt: 8 })).rejects.toThrow('simulated crash');
    // checkpoints at steps 3, 4 (stage1 end), 6: keep = 2 leaves 4 and 6
    expect(listCheckpoints(dir).map((c) => c.globalStep)).toEqual([4, 6]);
    const resumed = await runToy({ stages, dir, every: 3, resume: true });
    expect(resumed.steps[0]!.globalStep).toBe(7);
    expect(resumed.steps.map((s) => s.losses)).toEqual(full.steps.slice(6).map((s) => s.losses));
    expect(resumed.result.stages).toEqual(full.result.stages);
    expect(resumed.result.final).toEqual(full.result.final);
  });

  it('stops at a step boundary with a checkpoint when its signal aborts (e.g. Ctrl-C, delivered between steps)', async () => {
    const stages = threeStage(4, 6, 3);
    const dir = join(tmp, 'abort', 'checkpoints');
    const data = toyData(12);
    const model = toyModel({ ...TOY, seed: 3 });
    const ac = new AbortController();
    const seen: number[] = [];
    const r = await train({
      model,
      data,
      stages,
      registry,
      seed: 3,
      batchSize: 8,
      optimizer: OptimizerSchema.parse({ lr: 0.05 }),
      signal: ac.signal,
      checkpoints: { dir, every: 0, keep: 5 },
      observers: [
        { onStepEnd: (s) => void (seen.push(s.globalStep), s.globalStep === 6 && setImmediate(() => ac.abort())) },
      ],
    });
    model.dispose();
    expect(r.status).toBe('interrupted');
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(listCheckpoints(dir).map((c) => c.globalStep)).toEqual([4, 6]);
  });

  it('with image augmentation on, resumes mid-stage to the same losses as an uninterrupted run (the sampler position seeds each batch)', async () => {
    const stages = threeStage(5, 2, 3);
    const augment = [{ id: 'random-affine', rotation: 20 }, { id: 'color-jitter' }, { id: 'cutout', p: 1 }];
    const plain = await runToy({ stages });
    const full = await runToy({ stages, augment });
    // augmentation is active: the image-caption term differs from the first step on (same draws, other pixels)
    expect(full.steps[0]!.losses.ti).not.toBe(plain.steps[0]!.losses.ti);
    expect(full.steps[0]!.losses.tc).toBe(plain.steps[0]!.losses.tc);
    const dir = join(tmp, 'augment', 'checkpoints');
    await expect(runToy({ stages, dir, every: 2, crashAt: 3, augment })).rejects.toThrow('simulated crash');
    const resumed = await runToy({ stages, dir, every: 2, resume: true, augment });
    expect(resumed.steps[0]!.globalStep).toBe(3);
    expect(resumed.steps.map((s) => s.losses)).toEqual(full.steps.slice(2).map((s) => s.losses));
    expect(resumed.result.final).toEqual(full.result.final);
  });

  it('captionsPerImage averages k captions of the group into the text side: deterministic, resumable, only the image-caption term changes', async () => {
    const stages = threeStage(5, 2, 3).map((st) => ({ ...st, captionsPerImage: 3 }));
    const plain = await runToy({ stages: threeStage(5, 2, 3) });
    const full = await runToy({ stages });
    expect(full.steps[0]!.losses.ti).not.toBe(plain.steps[0]!.losses.ti);
    expect(full.steps[0]!.losses.tc).toBe(plain.steps[0]!.losses.tc);
    expect((await runToy({ stages })).steps.map((s) => s.losses)).toEqual(full.steps.map((s) => s.losses));
    const dir = join(tmp, 'captions', 'checkpoints');
    await expect(runToy({ stages, dir, every: 2, crashAt: 3 })).rejects.toThrow('simulated crash');
    const resumed = await runToy({ stages, dir, every: 2, resume: true });
    expect(resumed.steps.map((s) => s.losses)).toEqual(full.steps.slice(2).map((s) => s.losses));
  });

  it("a stage-end checkpoint carries the observers' state after they heard of the stage's end (its metrics survive a resume)", async () => {
    const stages = threeStage(3, 2, 2);
    const dir = join(tmp, 'stage-end-observers', 'checkpoints');
    const data = toyData(12);
    const model = toyModel({ ...TOY, seed: 3 });
    let ended: string[] = [];
    const ob: Observer = {
      onStageEnd: (s) => void ended.push(s.name),
      state: () => ({ ended }),
      restore: (st) => void (ended = [...((st as { ended?: string[] })?.ended ?? [])]),
    };
    await train({
      model,
      data,
      stages,
      registry,
      seed: 3,
      batchSize: 8,
      optimizer: OptimizerSchema.parse({ lr: 0.05 }),
      evaluate: async () => ({ x: 1 }),
      checkpoints: { dir, every: 0, keep: 5 },
      observers: [ob],
    });
    model.dispose();
    const first = await loadLatestCheckpoint(dir);
    expect((first!.meta as { observers: Record<string, { ended: string[] }> }).observers['0']!.ended).toEqual([
      'stage1',
      'stage2',
      'stage3',
    ]);
    expect(listCheckpoints(dir).map((c) => c.globalStep)).toEqual([3, 5, 7]);
  });

  it('γ > 0 adds the cross-design image–image term (ii) to stages 1 and 3: it trains and resumes exactly', async () => {
    const stages = resolveCurriculum(
      {
        id: 'three-stage',
        steps: { stage1: 4, stage2: 2, stage3: 3 },
        stages: { stage1: { weights: { gamma: 1 } }, stage3: { weights: { gamma: 0.5 } } },
      },
      registry,
    );
    expect(stages.map((st) => st.terms.map((t) => t.name))).toEqual([
      ['ti', 'ii', 'tc', 'qc'],
      ['intent', 'slot', 'align'],
      ['ti', 'ii', 'qc', 'intent', 'slot', 'align'],
    ]);
    expect(stages[0]!.data['image-image']).toBeCloseTo(0.2, 12);
    expect(threeStage(4, 2, 3)[0]!.terms.map((t) => t.name)).toEqual(['ti', 'tc', 'qc']); // γ = 0 by default: no ii
    const augment = [{ id: 'random-affine' }];
    const full = await runToy({ stages, augment });
    expect(full.steps.every((s) => Number.isFinite(s.losses.ii ?? NaN) || s.stage === 'stage2')).toBe(true);
    const dir = join(tmp, 'ii', 'checkpoints');
    await expect(runToy({ stages, dir, every: 2, crashAt: 3, augment })).rejects.toThrow('simulated crash');
    const resumed = await runToy({ stages, dir, every: 2, resume: true, augment });
    expect(resumed.steps.map((s) => s.losses)).toEqual(full.steps.slice(2).map((s) => s.losses));
  });

  it('resumes from a stage-end checkpoint into the next stage', async () => {
    const stages = threeStage(3, 2, 2);
    const full = await runToy({ stages });
    const dir = join(tmp, 'stage-end', 'checkpoints');
    await expect(runToy({ stages, dir, every: 0, crashAt: 4 })).rejects.toThrow('simulated crash');
    expect(listCheckpoints(dir).map((c) => c.globalStep)).toEqual([3]);
    const resumed = await runToy({ stages, dir, resume: true });
    expect(resumed.steps.map((s) => s.losses)).toEqual(full.steps.slice(3).map((s) => s.losses));
    expect(resumed.result.final).toEqual(full.result.final);
  });
});
