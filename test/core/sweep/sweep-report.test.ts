import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarisePoints, sweepFigures, writeSweepReport } from '../../../src/core/sweep/sweep-report';
import { headlineMetrics } from '../../../src/core/eval/headline';
import { BUILTIN_METRICS } from '../../../src/plugins/metrics';
import { SweepSchema, expandSweep } from '../../../src/core/sweep/sweep';
import { trialArgs, trialFinished } from '../../../src/core/sweep/run-sweep';
import { openInChromium } from '../../helpers/browser';
import { writeFakeRun } from '../../helpers/fake-run';

const HEADS = headlineMetrics(BUILTIN_METRICS);

const tmp = mkdtempSync(join(tmpdir(), 'unir-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sweep report', () => {
  const spec = SweepSchema.parse({
    id: 'ab',
    base: 'smoke',
    seeds: [1, 2],
    params: { 'c.a': [0.5, 1], 'c.b': [0.1, 1] },
  });
  const trials = expandSweep(spec);

  it('summarises finished trials: mean and sample std over seeds, Pareto front by brute force', async () => {
    trials.slice(0, 7).forEach((t, i) => writeFakeRun(join(tmp, t.runId), t.runId, 10 + i));
    expect(trials.map((t) => trialFinished(tmp, t.runId))).toEqual([true, true, true, true, true, true, true, false]);
    const pts = summarisePoints(trials, tmp, HEADS);
    expect(pts).toHaveLength(4);
    const m = (id: string) =>
      JSON.parse(readFileSync(join(tmp, id, 'metrics.json'), 'utf8')).final.retrieval.t2i.mean['R@10'];
    const [x1, x2] = [m(trials[0]!.runId), m(trials[1]!.runId)];
    expect(pts[0]!.mean['t2i R@10']).toBeCloseTo((x1 + x2) / 2, 12);
    expect(pts[0]!.std['t2i R@10']).toBeCloseTo(Math.abs(x1 - x2) / Math.SQRT2, 12);
    expect(pts[3]!.seeds).toEqual([1]);
    for (const p of pts) {
      const dominated = pts.some(
        (q) =>
          q !== p &&
          q.mean['t2i R@10']! >= p.mean['t2i R@10']! &&
          q.mean['t2t R@10']! >= p.mean['t2t R@10']! &&
          (q.mean['t2i R@10']! > p.mean['t2i R@10']! || q.mean['t2t R@10']! > p.mean['t2t R@10']!),
      );
      expect(p.pareto).toBe(!dominated);
    }
    expect(pts.some((p) => p.pareto)).toBe(true);

    const rep = writeSweepReport(
      spec,
      trials,
      tmp,
      join(tmp, 'report'),
      { columns: ['run'], rows: trials.map((t) => [t.runId]) },
      HEADS,
    );
    expect(rep.figures.map((f) => f.id)).toEqual([
      'heat-t2i-R-10',
      'heat-i2t-R-10',
      'heat-t2t-R-10',
      'heat-intent-acc',
      'heat-slot-F1',
      'pareto',
    ]);
    const page = await openInChromium(rep.html, join(process.cwd(), 'test-artifacts', 'sweep.png'));
    expect(page.consoleErrors).toEqual([]);
    expect(page.charts).toBe(rep.figures.length);
  });

  it('a parameter with object values (a step split) is a category axis labelled by each value as JSON', () => {
    const split = SweepSchema.parse({
      id: 'split',
      base: 'smoke',
      seeds: [1],
      params: {
        'curriculum.steps': [
          { stage1: 150, stage3: 90 },
          { stage1: 90, stage3: 150 },
        ],
      },
    });
    const values = split.params['curriculum.steps'] as object[];
    const pts = values.map((v, i) => ({
      point: { 'curriculum.steps': v },
      label: `steps=${JSON.stringify(v)}`,
      seeds: [1],
      mean: { 't2i R@10': 0.4 + 0.1 * i, 't2t R@10': 0.9 - 0.1 * i },
      std: { 't2i R@10': 0, 't2t R@10': 0 },
      pareto: true,
    }));
    const line = sweepFigures(split, pts).find((f) => f.id === 'line-steps')!;
    const t2i = (line.data as { name: string; x: unknown[]; y: number[] }[]).find((d) => d.name === 't2i R@10')!;
    expect(t2i.x).toEqual(['{"stage1":150,"stage3":90}', '{"stage1":90,"stage3":150}']);
    expect(t2i.y.map((y) => y.toFixed(2))).toEqual(['0.40', '0.50']);
    expect((line.layout as { xaxis: { type: string } }).xaxis.type).toBe('category');
  });

  it('a trial that started but did not finish is resumed, not restarted', () => {
    const t = trials[7]!;
    expect(trialArgs(t, { base: 'smoke', runsDir: tmp })).toEqual([
      'run',
      'smoke',
      '--seed',
      '2',
      '--run-id',
      t.runId,
      '--out',
      tmp,
      '--set',
      'c.a=1',
      '--set',
      'c.b=1',
    ]);
    writeFakeRun(join(tmp, 'half'), 'half', 1);
    rmSync(join(tmp, 'half', 'metrics.json'));
    const half = { ...t, runId: 'half' };
    mkdirSync(join(tmp, 'half', 'checkpoints'));
    expect(trialFinished(tmp, 'half')).toBe(false);
    expect(trialArgs(half, { base: 'smoke', runsDir: tmp })).toEqual(['run', '--resume', join(tmp, 'half')]);
  });
});
