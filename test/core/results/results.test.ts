import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectSweeps, key, type SweepRows } from '../../../src/core/results/collect';
import { chosenOnValidation, renderResults } from '../../../src/core/results/render-md';
import { compareArms, fmtBound, fmtSigned, meanStd } from '../../../src/core/results/stats';
import { recordTrials, sweepTable } from '../../../src/core/results/sweep-store';
import { queryRuns } from '../../../src/core/store/store';
import { expandSweep, SweepSchema } from '../../../src/core/sweep/sweep';
import { writeFakeRun } from '../../helpers/fake-run';
import { headlineMetrics } from '../../../src/core/eval/headline';
import { BUILTIN_METRICS } from '../../../src/plugins/metrics';

const headlines = headlineMetrics(BUILTIN_METRICS);

const tmp = mkdtempSync(join(tmpdir(), 'unir-results-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('stats', () => {
  it('mean, sample std and the pooled-spread comparison match the plain formulas', () => {
    const a = [0.5, 0.6, 0.7];
    const b = [0.2, 0.25, 0.3];
    expect(meanStd(a).mean).toBeCloseTo(0.6, 12);
    expect(meanStd(a).std).toBeCloseTo(0.1, 12);
    const d = compareArms(a, b);
    expect(d.delta).toBeCloseTo(0.35, 12);
    expect(d.spread).toBeCloseTo(Math.sqrt((0.01 * 2 + 0.0025 * 2) / 4), 12);
    expect(d.exceeds).toBe(true); // 0.35 > 2 × 0.079
    expect(compareArms([0.5, 0.7], [0.45, 0.6]).exceeds).toBe(false);
    expect(compareArms([0.5], [0.4]).spread).toBeUndefined();
  });

  it('signed numbers and interval bounds: no −0.000, and a bound that rounds to 0 keeps its sign', () => {
    expect(fmtSigned(-0.0002)).toBe('+0.000');
    expect(fmtSigned(-0.0512)).toBe('−0.051');
    expect(fmtBound(-0.00023)).toBe('−0.0002');
    expect(fmtBound(0.00041)).toBe('+0.0004');
    expect(fmtBound(0)).toBe('+0.000');
    expect(fmtBound(-0.0146)).toBe('−0.015');
  });
});

describe('generic sweeps choose on validation, never on test', () => {
  // Three arms, two seeds each: validation (stage3) ranks b > a > c; test ranks c > a > b, the other way round.
  const val = { a: [0.5, 0.6], b: [0.7, 0.8], c: [0.1, 0.2] } as const;
  const test = { a: [0.5, 0.5], b: [0.2, 0.2], c: [0.9, 0.9] } as const;
  const rows = (withVal: boolean): SweepRows => ({
    sweep: 'grid',
    arms: ['a', 'b', 'c'],
    trials: (['a', 'b', 'c'] as const).flatMap((arm) =>
      [0, 1].map((i) => ({
        runId: `grid--${arm}--s${i + 1}`,
        sweep: 'grid',
        arm,
        seed: i + 1,
        wallSec: 1,
        stages: withVal ? ['stage1', 'stage3', 'final'] : ['final'],
        values: new Map([
          [key('final', 't2i', 'mean', 'R@10'), test[arm][i]!],
          ...(withVal
            ? ([
                [key('stage1', 't2i', 'mean', 'R@10'), 1 - val[arm][i]!], // an earlier stage does not choose
                [key('stage3', 't2i', 'mean', 'R@10'), val[arm][i]!],
              ] as [string, number][])
            : []),
        ]),
      })),
    ),
  });

  it('the best arm on validation against the reference, or the runner-up when it is the reference', () => {
    const r = chosenOnValidation(rows(true), 'c');
    expect(r.pairs).toEqual([['b', 'c']]);
    expect(r.line).toContain('b 0.750, a 0.550, c 0.150. b against the reference (default) arm c, on test:');
    expect(chosenOnValidation(rows(true), 'b').pairs).toEqual([['b', 'a']]);
    expect(chosenOnValidation(rows(true)).pairs).toEqual([['b', 'a']]);
    expect(chosenOnValidation(rows(true), 'not-an-arm').pairs).toEqual([['b', 'a']]);
    // RESULTS.md compares the choice on test (test's own favourite, c, is not chosen)
    expect(renderResults([rows(true)], { db: 'none', headlines })).toContain('- **b − a, t2i R@10** (test, macro mean');
  });

  it('ranks on the seeds every arm ran: seeds added to confirm two arms do not change the ranking', () => {
    const base = rows(true);
    // seed 3 of a only, far above b on validation: ranking a on 3 seeds and b on 2 would choose a
    const extra = { ...base.trials.find((t) => t.arm === 'a')!, runId: 'grid--a--s3', seed: 3 };
    extra.values = new Map([...extra.values, [key('stage3', 't2i', 'mean', 'R@10'), 1.9]]);
    const r = chosenOnValidation({ ...base, trials: [...base.trials, extra] }, 'c');
    expect(r.pairs).toEqual([['b', 'c']]);
    expect(r.line).toContain('mean over seeds 1, 2, the ones every arm ran');
    expect(r.line).toContain('b 0.750, a 0.550, c 0.150.');
    expect(chosenOnValidation(base, 'c').line).toContain('mean over seeds;');
  });

  it('without validation numbers nothing is chosen, and RESULTS.md says so', () => {
    const r = chosenOnValidation(rows(false), 'a');
    expect(r.pairs).toEqual([]);
    const md = renderResults([rows(false)], { db: 'none', headlines });
    expect(md).toContain('- no validation T2I R@10 for two arms: no arm chosen (test is not used to choose).');
    expect(md).not.toMatch(/\*\*[abc] − [abc]/); // no comparison line
    const one = rows(true);
    const single = { ...one, arms: ['a'], trials: one.trials.filter((t) => t.arm === 'a') };
    const md1 = renderResults([single], { db: 'none', headlines });
    expect(md1).toContain('- one arm only: no comparison.');
    expect(md1).not.toContain('no arm chosen');
  });
});

describe('results from the run store', () => {
  const spec = SweepSchema.parse({
    id: 'staged-vs-single',
    base: 'smoke',
    seeds: [1, 2, 3],
    params: { 'curriculum.id': ['three-stage', 'single-stage'] },
  });
  const trials = expandSweep(spec);
  const runs = join(tmp, 'runs');
  const db = join(tmp, 'unir.duckdb');

  it("records finished trials, reads the sweep table back, and RESULTS.md holds the store's numbers", async () => {
    trials.slice(0, 5).forEach((t, i) => writeFakeRun(join(runs, t.runId), t.runId, 100 + i)); // last trial unfinished
    const recorded = await recordTrials(db, trials, runs);
    expect(recorded).toEqual(trials.slice(0, 5).map((t) => t.runId));
    const table = await sweepTable(db, trials, recorded, headlineMetrics(BUILTIN_METRICS));
    expect(table.columns.slice(0, 4)).toEqual(['run', 'id', 'seed', 't2i R@10']);
    const m = JSON.parse(readFileSync(join(runs, trials[0]!.runId, 'metrics.json'), 'utf8')).final;
    expect(table.rows[0]).toEqual([
      trials[0]!.runId,
      'three-stage',
      1,
      m.retrieval.t2i.mean['R@10'],
      m.retrieval.i2t.mean['R@10'],
      m.retrieval.t2t.mean['R@10'],
      null,
      m.nlu.intentAccuracy.mean,
      m.nlu.slotF1.mean,
      m.retrieval.t2i.mean.mrr,
    ]);

    const sweeps = await collectSweeps(db);
    expect(sweeps.map((s) => [s.sweep, s.arms, s.trials.length])).toEqual([
      ['staged-vs-single', ['id=single-stage', 'id=three-stage'], 5],
    ]);
    const s = sweeps[0]!;
    expect(s.trials.find((t) => t.runId === trials[0]!.runId)!.stages).toEqual(['stage1', 'stage2', 'stage3', 'final']);
    expect(s.trials.map((t) => t.wallSec)).toEqual([12.5, 12.5, 12.5, 12.5, 12.5]); // run.json durationSec, not finish − start

    // Oracle: the store's own rows, aggregated here by hand.
    const q = await queryRuns(
      db,
      "SELECT run_id, value FROM metrics WHERE stage = 'final' AND task = 't2i' AND language = 'mean' AND metric = 'R@10'",
    );
    const v = (arm: string) =>
      q.rows.filter((r) => (r.run_id as string).includes(`--${arm}--`)).map((r) => r.value as number);
    const [three, single] = [v('id=three-stage'), v('id=single-stage')];
    expect([three.length, single.length]).toEqual([3, 2]);
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    const sd = (xs: number[]) => Math.sqrt(xs.reduce((x, y) => x + (y - mean(xs)) ** 2, 0) / (xs.length - 1));
    const md = renderResults(sweeps, { db, headlines });
    // mean ± half-width of the 95% t interval: t(0.975; 2 dof) = 4.303, t(0.975; 1 dof) = 12.706
    const ci = (xs: number[], t: number) =>
      `${mean(xs).toFixed(3)} ± ${((t * sd(xs)) / Math.sqrt(xs.length)).toFixed(3)}`;
    expect(md).toContain(`| id=three-stage | 1,2,3 | ${ci(three, 4.303)} |`);
    expect(md).toContain(`| id=single-stage | 1,2 | ${ci(single, 12.706)} |`);
    const delta = mean(three) - mean(single);
    const pooled = Math.sqrt((sd(three) ** 2 * 2 + sd(single) ** 2) / 3);
    const sign = Number(delta.toFixed(3)) >= 0 ? '+' : '−';
    // these fake runs wrote no per-query outcomes: the comparison falls back to the seed spread and says so
    expect(md).toContain(
      `**id=three-stage − id=single-stage, t2i R@10** (test, macro mean over languages): id=three-stage ${ci(three, 4.303)}, id=single-stage ${ci(single, 12.706)} (mean ± 95% CI over seeds); Δ = ${sign}${Math.abs(delta).toFixed(3)} ± ${pooled.toFixed(3)} (pooled seed std, n = 3 vs 2); exceeds the seed spread (|Δ| > 2σ): ${Math.abs(delta) > 2 * pooled ? 'yes' : 'no'} (no per-query outcomes for a bootstrap)`,
    );
    // per-language deltas: one row per language, from the store
    const de = (id: string) => s.trials.find((t) => t.runId === id)!.values.get(key('final', 't2i', 'de', 'R@10'))!;
    const deThree = trials.slice(0, 3).map((t) => de(t.runId));
    const deSingle = trials.slice(3, 5).map((t) => de(t.runId));
    expect(md).toContain(
      `| de | ${ci(deThree, 4.303)} | ${ci(deSingle, 12.706)} | ${Number((mean(deThree) - mean(deSingle)).toFixed(3)) >= 0 ? '+' : '−'}${Math.abs(mean(deThree) - mean(deSingle)).toFixed(3)} |`,
    );
    expect(md).toMatch(
      /Per language, T2I R@10 \(test\): id=three-stage − id=single-stage; \d+ of 12 languages exceed the seed spread/,
    );
    expect(md).toContain("Validation after each stage, id=three-stage (mean ± 95% CI over 3 seeds; 'final' = test):");
  });

  it('an empty store section says so', () => {
    expect(renderResults([], { db, headlines })).toContain('No finished sweep trials in the store yet.');
  });
});
