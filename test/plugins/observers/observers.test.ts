import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Observer, ObserverContext, StepInfo } from '../../../src/core/train/observer';
import { parseHistory } from '../../../src/core/run/history';
import { createRegistry } from '../../../src/plugins';
import { formatDuration } from '../../../src/plugins/observers/console-progress';

const registry = createRegistry({ warn: () => {} });
const tmp = mkdtempSync(join(tmpdir(), 'unir-observers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const make = (id: string, cfg: object, ctx: ObserverContext) => registry.create('observer', id, cfg, ctx);
const step = (stage: string, step: number, globalStep: number, loss: number): StepInfo => ({
  stage,
  stageIndex: stage === 'stage1' ? 0 : 1,
  step,
  stageSteps: 4,
  globalStep,
  totalSteps: 8,
  lr: 1e-3,
  batchSize: 16,
  losses: { loss, ti: loss / 2, 'ti.temperature': 0.07, gradNorm: 1.5 },
  samplesPerSec: 123.45,
  elapsedSec: 10,
  etaSec: 75,
  time: '2026-01-01T00:00:00.000Z',
});

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { out: { write: (s: string) => chunks.push(s), isTTY }, text: () => chunks.join('') };
}

describe('history-jsonl', () => {
  it('writes one row per logged step that the report reader parses', async () => {
    const dir = join(tmp, 'h1');
    const h = make('history-jsonl', { every: 2 }, { runDir: dir, out: sink(false).out });
    mkdirSync(dir, { recursive: true });
    for (let i = 1; i <= 4; i++) await h.onStepEnd!(step('stage1', i, i, 4 - i / 2));
    await h.onStepEnd!(step('stage2', 1, 5, 1)); // not a multiple of 2, not the last step: skipped
    const rows = readFileSync(join(dir, 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.stage, r.step, r.globalStep])).toEqual([
      ['stage1', 2, 2],
      ['stage1', 4, 4],
    ]);
    expect(rows[0]).toEqual({
      stage: 'stage1',
      step: 2,
      globalStep: 2,
      lr: 1e-3,
      losses: { loss: 3, ti: 1.5, 'ti.temperature': 0.07, gradNorm: 1.5 },
      samplesPerSec: 123.5,
      time: '2026-01-01T00:00:00.000Z',
    });
    expect(parseHistory(readFileSync(join(dir, 'history.jsonl'), 'utf8'))[1]).toMatchObject({
      globalStep: 4,
      losses: { loss: 2, ti: 1 },
    });
  });

  it('restores to its checkpoint state: rows written after the checkpoint are dropped', async () => {
    const dir = join(tmp, 'h2');
    mkdirSync(dir, { recursive: true });
    const h = make('history-jsonl', {}, { runDir: dir, out: sink(false).out });
    for (let i = 1; i <= 2; i++) await h.onStepEnd!(step('stage1', i, i, 1));
    const state = h.state!();
    for (let i = 3; i <= 4; i++) await h.onStepEnd!(step('stage1', i, i, 1));
    const again = make('history-jsonl', {}, { runDir: dir, out: sink(false).out });
    again.restore!(state);
    await again.onStepEnd!(step('stage1', 3, 3, 1));
    expect(parseHistory(readFileSync(join(dir, 'history.jsonl'), 'utf8')).map((r) => r.globalStep)).toEqual([1, 2, 3]);
  });
});

describe('console-progress', () => {
  const run = {
    runId: 'r1',
    runDir: '',
    experiment: { id: 'smoke', seed: 1 },
    backend: 'wasm',
    threads: 2,
    stages: [
      { name: 'stage1', steps: 4 },
      { name: 'stage2', steps: 4 },
    ],
    totalSteps: 8,
  };

  it('prints a line every N steps and at stage ends when not on a TTY', async () => {
    const s = sink(false);
    const c = make('console-progress', { every: 3 }, { runDir: '', out: s.out });
    await c.onRunStart!(run);
    for (let i = 1; i <= 4; i++) await c.onStepEnd!(step('stage1', i, i, 2));
    await c.onEvalEnd!({
      stage: 'stage1',
      split: 'val',
      seconds: 3,
      metrics: { retrieval: { t2i: { mean: { 'R@10': 0.5 } } }, nlu: { intentAccuracy: { mean: 0.75 } } },
    });
    await c.onRunEnd!({
      status: 'finished',
      durationSec: 125,
      timings: {
        data: 31.2,
        steps: 272,
        stepsByStage: { stage1: 272 },
        eval: 41,
        evalByPhase: { stage1: 41 },
        checkpoints: 2.1,
        other: 3,
        total: 349.3,
      },
    });
    expect(s.text().split('\n')).toEqual([
      'run r1: smoke, seed 1, wasm × 2 thread(s); stage1 (4) → stage2 (4); 8 steps',
      'stage1 [1/2] 3/4 | loss 2.000 ti 1.000 | lr 1.00e-3 | 123 samples/s | ETA 1m15s',
      'stage1 [1/2] 4/4 | loss 2.000 ti 1.000 | lr 1.00e-3 | 123 samples/s | ETA 1m15s',
      'stage1 val: t2i R@10 0.500, intentAccuracy 0.750 (3s)',
      'run finished in 2m05s',
      'time: data 31.2 s · steps 4m32s · eval 41.0 s · checkpoints 2.1 s · other 3.0 s (total 5m49s)',
      '',
    ]);
  });

  it('rewrites one line in place on a TTY', async () => {
    const s = sink(true);
    const c = make('console-progress', {}, { runDir: '', out: s.out });
    await c.onRunStart!(run);
    await c.onStepEnd!(step('stage1', 1, 1, 2));
    await c.onStepEnd!(step('stage1', 2, 2, 1));
    await c.onRunEnd!({ status: 'interrupted', durationSec: 5 });
    const text = s.text();
    expect(text).toContain('\r\x1b[Kstage1 [1/2] 1/4 | loss 2.000');
    expect(text).toContain('\r\x1b[Kstage1 [1/2] 2/4 | loss 1.000');
    expect(text.endsWith('\r\x1b[Krun interrupted in 5s\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(3);
  });

  it('says nothing about a run that failed before it started, and not the error of one that failed later (the caller prints the one error line)', async () => {
    const s = sink(false);
    const c = make('console-progress', {}, { runDir: '', out: s.out });
    await c.onRunEnd!({ status: 'failed', durationSec: 0, error: 'manifest.jsonl:2: path: bad' });
    expect(s.text()).toBe('');
    await c.onRunStart!(run);
    await c.onRunEnd!({ status: 'failed', durationSec: 61, error: 'out of memory' });
    expect(s.text().split('\n').slice(1)).toEqual(['run failed in 1m01s', '']);
  });

  it('formats durations', () => {
    expect([
      formatDuration(0),
      formatDuration(59.4),
      formatDuration(61),
      formatDuration(3600 * 2 + 60 * 5),
      formatDuration(NaN),
    ]).toEqual(['0s', '59s', '1m01s', '2h05m', '?']);
  });
});
