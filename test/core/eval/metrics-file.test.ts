import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMetricsJson, writeMetricsJson } from '../../../src/core/run/metrics';
import { MetricsFileSchema } from '../../../src/core/eval/metrics-schema';
import { loadRunRecord } from '../../../src/core/run/record';
import { writeFakeRun } from '../../helpers/fake-run';

const tmp = mkdtempSync(join(tmpdir(), 'unir-metrics-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const scores = { 'R@1': 0.2, 'R@5': 0.5, 'R@10': 0.7, medianRank: 6, mrr: 0.33 };
// a JSON copy: every score object is its own, so one mutation touches one field
const file = () =>
  JSON.parse(
    JSON.stringify({
      runId: 'r1',
      experiment: 'smoke',
      backend: 'wasm',
      seed: 3,
      stages: [{ name: 'joint', metrics: { retrieval: { t2i: { en: scores, mean: scores } } } }],
      final: {
        retrieval: { t2i: { en: scores, de: { ...scores, n: 4 }, mean: scores }, t2t: { en: scores, mean: scores } },
        nlu: {
          intentAccuracy: { en: 0.9, mean: 0.9 },
          slotF1: { en: 0.8, mean: 0.8 },
          exactMatch: { en: 0.7, mean: 0.7 },
        },
        t2tCross: { en: { en: scores, de: scores } },
        nluContribution: {
          t2t: {
            withNlu: { en: scores, mean: scores },
            withoutNlu: { en: scores, mean: scores },
            delta: {
              en: { 'R@1': 0, 'R@5': 0, 'R@10': 0, medianRank: 0, mrr: 0 },
              mean: { 'R@1': -0.1, 'R@5': 0, 'R@10': 0, medianRank: 2, mrr: 0 },
            },
          },
        },
        intentConfusion: {
          labels: ['a', 'b'],
          matrix: [
            [3, 1],
            [0, 2],
          ],
        },
      },
    }),
  );

describe('metrics.json', () => {
  it('round-trips through writeMetricsJson / readMetricsJson, leaving no temp file', () => {
    const dir = join(tmp, 'ok');
    writeMetricsJson(dir, file());
    expect(readdirSync(dir)).toEqual(['metrics.json']);
    expect(readMetricsJson(dir)).toEqual(file());
    // the report reads the same file
    expect(loadRunRecord(dir).metrics.final.retrieval?.t2i?.de?.['R@10']).toBe(0.7);
  });

  it("accepts the report tests' fake runs (the documented shape)", () => {
    const dir = join(tmp, 'fake');
    writeFakeRun(dir, 'fake', 5);
    expect(readMetricsJson(dir).runId).toBe('fake');
  });

  it.each([
    [
      'a fraction above 1',
      (f: any) => (f.final.retrieval.t2i.en['R@1'] = 1.2),
      'final.retrieval.t2i.en.R@1: Too big: expected number to be <=1',
    ],
    [
      'a median rank below 1',
      (f: any) => (f.final.retrieval.t2i.en.medianRank = 0.5),
      'final.retrieval.t2i.en.medianRank: Too small: expected number to be >=1',
    ],
    [
      'recall that decreases with k',
      (f: any) => (f.final.retrieval.t2i.en['R@5'] = 0.1),
      'final.retrieval.t2i.en: R@1 ≤ R@5 ≤ R@10 must hold',
    ],
    [
      'a task without its mean',
      (f: any) => delete f.final.retrieval.t2t.mean,
      "final.retrieval.t2t: needs a 'mean' entry (macro mean over languages)",
    ],
    [
      'an unknown task',
      (f: any) => (f.final.retrieval.x2y = f.final.retrieval.t2t),
      'final.retrieval.x2y: unknown field; valid fields here: t2i, i2t, t2t',
    ],
    [
      'a misspelt score key',
      (f: any) => (f.stages[0].metrics.retrieval.t2i.en.mmr = 0.1),
      "stages[0].metrics.retrieval.t2i.en.mmr: unknown field; valid fields here: R@1, R@5, R@10, medianRank, mrr, n; did you mean 'mrr'?",
    ],
    [
      'a non-square confusion',
      (f: any) => (f.final.intentConfusion.matrix = [[1]]),
      'final.intentConfusion: matrix must be labels × labels',
    ],
    ['a missing seed', (f: any) => delete f.seed, 'seed: Invalid input: expected number, received undefined'],
  ])('rejects %s with a one-line error naming the field', (_, mutate, message) => {
    const f = file();
    mutate(f);
    const dir = join(tmp, 'bad');
    mkdirSync(dir, { recursive: true });
    expect(() => writeMetricsJson(dir, f as never)).toThrow(
      `${join(dir, 'metrics.json')}: refusing to write invalid metrics: ${message}`,
    );
    writeFileSync(join(dir, 'metrics.json'), JSON.stringify(f));
    expect(() => readMetricsJson(dir)).toThrow(`${join(dir, 'metrics.json')}: ${message}`);
    expect(MetricsFileSchema.safeParse(f).success).toBe(false);
  });

  it('a run dir without metrics, and a torn file, are one-line UserErrors', () => {
    const dir = join(tmp, 'none');
    mkdirSync(dir, { recursive: true });
    const missing = `${join(dir, 'metrics.json')}: missing; `;
    expect(() => readMetricsJson(dir)).toThrow(
      `${missing}this is not a run directory (no run.json or config.json); give a folder 'unir run' wrote, e.g. runs/<runId> ('unir runs' lists them)`,
    );
    const run = (o: Record<string, unknown>) =>
      writeFileSync(
        join(dir, 'run.json'),
        JSON.stringify({
          runId: 'r',
          experiment: 'smoke',
          source: 'experiments/smoke.ts',
          globalStep: 7,
          totalSteps: 80,
          ...o,
        }),
      );
    run({ status: 'failed', error: 'boom' });
    // no config.json: --resume could not work, so it is not advised
    expect(() => readMetricsJson(dir)).toThrow(
      `${missing}the run has no config.json either, so it cannot be resumed; start a new one with 'unir run experiments/smoke.ts'`,
    );
    writeFileSync(join(dir, 'config.json'), '{}');
    expect(() => readMetricsJson(dir)).toThrow(
      `${missing}the run failed at step 7 of 80 before any metrics (boom); fix that, then continue it with 'unir run --resume ${dir}'`,
    );
    run({ status: 'interrupted' });
    expect(() => readMetricsJson(dir)).toThrow(
      `${missing}the run stopped at step 7 of 80 before any metrics (status interrupted); continue it with 'unir run --resume ${dir}'`,
    );
    run({ status: 'finished' });
    expect(() => readMetricsJson(dir)).toThrow(
      `${missing}the run finished but its metrics.json is gone; restore the file, or run the experiment again with 'unir run experiments/smoke.ts'`,
    );
    run({ status: 'running' });
    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: 'now' }));
    expect(() => readMetricsJson(dir)).toThrow(
      `${missing}the run is still training (process ${process.pid}, step 7 of 80); metrics.json is written after its first stage's evaluation`,
    );
    rmSync(join(dir, 'run.lock'));
    writeFileSync(join(dir, 'metrics.json'), '{"runId": ');
    expect(() => readMetricsJson(dir)).toThrow(
      /metrics\.json: not valid JSON \(.*\); re-run the evaluation or restore the file$/,
    );
    try {
      readMetricsJson(dir);
    } catch (e) {
      expect((e as Error).name).toBe('UserError');
      expect((e as Error).message).not.toContain('\n');
    }
    expect(readFileSync(join(dir, 'metrics.json'), 'utf8')).toBe('{"runId": ');
  });
});
