import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMetricsJson, writeMetricsJson } from '../../../src/core/eval/metrics-file';
import { MetricsFileSchema } from '../../../src/core/eval/metrics-schema';
import { loadRunRecord } from '../../../src/core/report/run-record';
import { writeFakeRun } from '../../helpers/fake-run';

const tmp = mkdtempSync(join(tmpdir(), 'unir-metrics-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const scores = { 'R@1': 0.2, 'R@5': 0.5, 'R@10': 0.7, medianRank: 6, mrr: 0.33 };
// a JSON copy: every score object is its own, so one mutation touches one field
const file = () => JSON.parse(JSON.stringify({
  runId: 'r1', experiment: 'smoke', backend: 'wasm', seed: 3,
  stages: [{ name: 'joint', metrics: { retrieval: { t2i: { en: scores, mean: scores } } } }],
  final: {
    retrieval: { t2i: { en: scores, de: { ...scores, n: 4 }, mean: scores }, t2t: { en: scores, mean: scores } },
    nlu: { intentAccuracy: { en: 0.9, mean: 0.9 }, slotF1: { en: 0.8, mean: 0.8 }, exactMatch: { en: 0.7, mean: 0.7 } },
    t2tCross: { en: { en: scores, de: scores } },
    nluContribution: { t2t: { withNlu: { en: scores, mean: scores }, withoutNlu: { en: scores, mean: scores }, delta: { en: { 'R@1': 0, 'R@5': 0, 'R@10': 0, medianRank: 0, mrr: 0 }, mean: { 'R@1': -0.1, 'R@5': 0, 'R@10': 0, medianRank: 2, mrr: 0 } } } },
    intentConfusion: { labels: ['a', 'b'], matrix: [[3, 1], [0, 2]] },
  },
}));

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
    ['a fraction above 1', (f: any) => (f.final.retrieval.t2i.en['R@1'] = 1.2), 'final.retrieval.t2i.en.R@1: Too big: expected number to be <=1'],
    ['a median rank below 1', (f: any) => (f.final.retrieval.t2i.en.medianRank = 0.5), 'final.retrieval.t2i.en.medianRank: Too small: expected number to be >=1'],
    ['recall that decreases with k', (f: any) => (f.final.retrieval.t2i.en['R@5'] = 0.1), 'final.retrieval.t2i.en: R@1 ≤ R@5 ≤ R@10 must hold'],
    ['a task without its mean', (f: any) => delete f.final.retrieval.t2t.mean, "final.retrieval.t2t: needs a 'mean' entry (macro mean over languages)"],
    ['an unknown task', (f: any) => (f.final.retrieval.x2y = f.final.retrieval.t2t), 'final.retrieval: Unrecognized key: "x2y"'],
    ['a misspelt score key', (f: any) => (f.stages[0].metrics.retrieval.t2i.en.mmr = 0.1), 'stages[0].metrics.retrieval.t2i.en: Unrecognized key: "mmr"'],
    ['a non-square confusion', (f: any) => (f.final.intentConfusion.matrix = [[1]]), 'final.intentConfusion: matrix must be labels × labels'],
    ['a missing seed', (f: any) => delete f.seed, 'seed: Invalid input: expected number, received undefined'],
  ])('rejects %s with a one-line error naming the field', (_, mutate, message) => {
    const f = file();
    mutate(f);
    const dir = join(tmp, 'bad');
    mkdirSync(dir, { recursive: true });
    expect(() => writeMetricsJson(dir, f as never)).toThrow(`${join(dir, 'metrics.json')}: refusing to write invalid metrics: ${message}`);
    writeFileSync(join(dir, 'metrics.json'), JSON.stringify(f));
    expect(() => readMetricsJson(dir)).toThrow(`${join(dir, 'metrics.json')}: ${message}`);
    expect(MetricsFileSchema.safeParse(f).success).toBe(false);
  });

  it('a run dir without metrics, and a torn file, are one-line UserErrors', () => {
    const dir = join(tmp, 'none');
    mkdirSync(dir, { recursive: true });
    expect(() => readMetricsJson(dir)).toThrow(`${join(dir, 'metrics.json')}: missing; this run has no metrics (unfinished?) — finish it with 'unir run --resume ${dir}'`);
    writeFileSync(join(dir, 'metrics.json'), '{"runId": ');
    expect(() => readMetricsJson(dir)).toThrow(/metrics\.json: not valid JSON \(.*\); re-run the evaluation or restore the file$/);
    try {
      readMetricsJson(dir);
    } catch (e) {
      expect((e as Error).name).toBe('UserError');
      expect((e as Error).message).not.toContain('\n');
    }
    expect(readFileSync(join(dir, 'metrics.json'), 'utf8')).toBe('{"runId": ');
  });
});
