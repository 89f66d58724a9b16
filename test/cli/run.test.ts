import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunTimings } from '../../src/core/run/run-json';
import { unir } from '../helpers/cli';
import { runAndKill } from '../helpers/run-and-kill';

const tmp = mkdtempSync(join(tmpdir(), 'unir-run-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Row {
  stage: string;
  step: number;
  globalStep: number;
  lr: number;
  losses: Record<string, number>;
}
const history = (dir: string): Row[] =>
  readFileSync(join(dir, 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { stage, step, globalStep, lr, losses } = JSON.parse(l) as Row;
      return { stage, step, globalStep, lr, losses };
    });
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** run.json's `timings`: every value ≥ 0, the parts add up to the total (= durationSec), steps and eval measured. */
function checkTimings(run: { durationSec: number; timings: RunTimings }): RunTimings {
  const t = run.timings;
  const parts = [t.data, t.steps, t.eval, t.checkpoints, t.other];
  for (const v of [...parts, t.total, ...Object.values(t.stepsByStage), ...Object.values(t.evalByPhase)])
    expect(v).toBeGreaterThanOrEqual(0);
  expect(Math.abs(sum(parts) - t.total)).toBeLessThanOrEqual(0.2);
  expect(Math.abs(sum(Object.values(t.stepsByStage)) - t.steps)).toBeLessThanOrEqual(0.2);
  expect(Math.abs(sum(Object.values(t.evalByPhase)) - t.eval)).toBeLessThanOrEqual(0.2);
  expect(t.total).toBe(run.durationSec);
  expect(t.steps).toBeGreaterThan(0);
  expect(t.eval).toBeGreaterThan(0);
  return t;
}

/** Expected reciprocal rank of the first relevant item when r of n candidates are relevant and the order is random. */
function chanceMrr(n: number, r: number): number {
  let p = 1; // P(no relevant item in the first k - 1 places)
  let e = 0;
  for (let k = 1; k <= n - r + 1; k++) {
    const first = p * (r / (n - k + 1)); // the k-th is the first relevant one
    e += first / k;
    p *= 1 - r / (n - k + 1);
  }
  return e;
}

describe('unir run', () => {
  it('--dry-run prints the resolved config, every stage and a measured time estimate, and trains nothing', () => {
    const r = unir(['run', 'smoke', '--dry-run', '--set', 'curriculum.stages.stage3.weights.b=0.5', '--out', tmp]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"id": "smoke"');
    expect(r.stdout).toContain('stage1: 40 steps; train text, image; frozen nlu, fusion');
    expect(r.stdout).toContain('    batch 24 = image-caption 12 + caption-chunk 6 + query-chunk 6');
    expect(r.stdout).toContain('intent = intent-ce(query-nlu) × 0.5 (b)');
    expect(r.stdout).toContain('total: 80 steps');
    expect(r.stdout).toMatch(
      /time estimate \(\w+ × \d thread\(s\), 5 steps per stage timed on synthetic batches, median\): stage1 \d+\.\d\d s\/step/,
    );
    // the data it would use (loaded and checked): 12 test groups of one image each leave chance R@10 at 10/12
    expect(r.stdout).toContain(
      'data: the experiment keeps data.dataset.languages (en, de, ja), data.maxGroups (train 24, val 12, test 12)',
    );
    expect(r.stdout).toMatch(
      /^data: test \(final test\): 12 of \d+ groups \(data\.maxGroups\.test 12\), 12 images, .*, chance R@10 \(t2i\) 0\.833$/m,
    );
    expect(r.stdout).toMatch(/^warning: test: a random ranking already scores R@10 0\.833 on text→image/m);
    expect(existsSync(join(tmp, 'smoke'))).toBe(false);
  });

  it('reports a bad override as one line naming the flag and the full path', () => {
    const r = unir(['run', 'smoke', '--dry-run', '--set', 'curriculum.stages.stage2.terms[1].weight=-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "unir: --set curriculum.stages.stage2.terms[1].weight=-1: curriculum.stages.stage2.terms[1].weight: expected number ≥ 0, '<coefficient>' or '<coefficient>*<number>'; got -1\n",
    );
    const typo = unir(['run', 'smoke', '--dry-run', '--set', 'curriculum.stages.stage1.terms[0].loss=info-nc']);
    expect(typo.stderr).toMatch(
      /^unir: --set curriculum\.stages\.stage1\.terms\[0\]\.loss=info-nc: curriculum\.stages\.stage1\.terms\[0\]\.loss: unknown loss 'info-nc'\. Known: .*\. Did you mean 'info-nce'\?\n$/,
    );
  });

  it('refuses to resume from a corrupt checkpoint with one line that says what to do', () => {
    const dir = join(tmp, 'corrupt');
    const ck = join(dir, 'checkpoints', 'step-00000010');
    mkdirSync(ck, { recursive: true });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ id: 'x', data: { dataset: { id: 'emoji-cldr' } }, curriculum: { id: 'three-stage' } }),
    );
    writeFileSync(
      join(ck, 'model.json'),
      '{"format": "unir-checkpoint/1", "weightsManifest": [{"paths": ["weights.bin"], "weights": []}], "weightsBytes": 4, "weightsSha256": "00"}',
    );
    writeFileSync(join(ck, 'weights.bin'), 'abcd');
    const r = unir(['run', '--resume', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `unir: ${ck}: unreadable checkpoint: weights.bin does not match its sha256 (corrupted); delete it ('rm -r ${ck}') and start the run again (no older checkpoint)\n`,
    );
    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: 'then' }));
    expect(unir(['run', '--resume', dir]).stderr).toBe(
      `unir: ${dir}: in use by process ${process.pid} since then; wait for it, or stop it first\n`,
    );
    const none = unir(['run', '--resume', join(tmp, 'nope')]);
    expect(none.stderr).toBe(
      `unir: ${join(tmp, 'nope')}: not a run directory (no config.json); give a directory 'unir run' created, e.g. runs/<runId>\n`,
    );
  });

  it('smoke: the loss falls; killed with SIGKILL mid-stage-2 and resumed, it ends with the same history and metrics', async () => {
    const out = join(tmp, 'runs');
    const started = performance.now();
    const full = unir(['run', 'smoke', '--out', out, '--run-id', 'full']);
    const wall = (performance.now() - started) / 1000;
    // smoke's only warnings: its 12 val / test groups leave chance R@10 at 0.67 / 0.83 (said at the start, by design)
    expect(
      full.stderr
        .split('\n')
        .filter((l) => /error|warn/i.test(l))
        .map((l) => l.replace(/ \(12 groups.*/, '')),
    ).toEqual([
      'unir: warning: val: a random ranking already scores R@10 0.670 on text→image',
      'unir: warning: test: a random ranking already scores R@10 0.833 on text→image',
    ]);
    expect(full.code).toBe(0);
    expect(full.stdout).toBe(`finished: ${join(out, 'full')}\n`);
    const ref = join(out, 'full');
    const rows = history(ref);
    expect(rows.map((r) => r.globalStep)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    const s1 = rows.filter((r) => r.stage === 'stage1').map((r) => r.losses.loss!);
    expect(mean(s1.slice(-5))).toBeLessThan(0.6 * mean(s1.slice(0, 5)));
    const s2 = rows.filter((r) => r.stage === 'stage2').map((r) => r.losses.intent!);
    expect(mean(s2.slice(-5))).toBeLessThan(0.6 * mean(s2.slice(0, 5)));
    const run = json(join(ref, 'run.json'));
    expect(run).toMatchObject({
      runId: 'full',
      experiment: 'smoke',
      status: 'finished',
      seed: 1,
      globalStep: 80,
      totalSteps: 80,
      resumes: [],
    });
    // where the time went: the parts add up to the run's time, which is the CLI's wall time less the process start,
    // module loading, report and run store (≈ 3 s idle; allowed to grow with a loaded machine)
    const t = checkTimings(run);
    expect(Object.keys(t.stepsByStage)).toEqual(['stage1', 'stage2', 'stage3']);
    expect(Object.keys(t.evalByPhase)).toEqual(['stage1', 'stage2', 'stage3', 'final']);
    expect(t.total).toBeLessThanOrEqual(wall);
    expect(t.total).toBeGreaterThan(wall - 5 - 0.2 * wall);
    expect(full.stderr).toMatch(
      /^time: data \S+( s)? · steps \S+( s)? · eval \S+( s)? · checkpoints \S+( s)? · other \S+( s)? \(total \S+( s)?\)$/m,
    );
    const metrics = json(join(ref, 'metrics.json'));
    expect(metrics.stages.map((s: { name: string }) => s.name)).toEqual(['stage1', 'stage2', 'stage3']);
    // smoke tests on 12 groups with one image each: a random ranking puts the one relevant item in the top 10 with
    // probability 10/12, so R@10 cannot tell a trained model from noise. MRR can: chance is H(12)/12 ≈ 0.259
    // (computed below from the exported test split); this run scores ≈ 0.44 (t2i) and 0.50 (i2t).
    const rows0 = json(join(ref, 'embeddings', 'test.json')).rows as {
      kind: string;
      group: string;
      lang: string | null;
      role: string | null;
    }[];
    const images = rows0.filter((r) => r.kind === 'image');
    const captions = rows0.filter((r) => r.kind === 'text' && r.role === 'caption');
    const langs = [...new Set(captions.map((r) => r.lang!))];
    const t2iChance = mean(
      langs.map((l) =>
        mean(
          captions
            .filter((c) => c.lang === l)
            .map((c) => chanceMrr(images.length, images.filter((i) => i.group === c.group).length)),
        ),
      ),
    );
    const i2tChance = mean(
      langs.map((l) => {
        const cs = captions.filter((c) => c.lang === l);
        return mean(images.map((i) => chanceMrr(cs.length, cs.filter((c) => c.group === i.group).length)));
      }),
    );
    expect(t2iChance).toBeCloseTo(3.1032 / 12, 3);
    expect(metrics.final.retrieval.t2i.mean['R@10']).toBeGreaterThanOrEqual(10 / 12 - 1e-9); // ≥ chance, nothing more to ask of it here
    expect(metrics.final.retrieval.t2i.mean.mrr).toBeGreaterThan(t2iChance + 0.1);
    expect(metrics.final.retrieval.i2t.mean.mrr).toBeGreaterThan(i2tChance + 0.1);
    // 4 intents, the largest 40 % of the queries: a constant answer scores ≈ 0.4, an untrained head 0.25–0.4; ≈ 0.86 here
    expect(metrics.final.nlu.intentAccuracy.mean).toBeGreaterThan(0.6);
    // a finished run exports its test embeddings, writes its report and is recorded in the run store
    const emb = json(join(ref, 'embeddings', 'test.json'));
    expect(emb).toMatchObject({ format: 'unir-embeddings-1', split: 'test', count: emb.rows.length });
    expect(new Set(emb.rows.map((r: { kind: string }) => r.kind))).toEqual(new Set(['image', 'text', 'query']));
    expect(readFileSync(join(ref, 'embeddings', 'test.f32')).byteLength).toBe(emb.count * emb.dim * 4);
    expect(readFileSync(join(ref, 'report.html'), 'utf8')).toContain('Plotly');
    const stored = unir([
      'runs',
      '--db',
      join(out, 'unir.duckdb'),
      '--json',
      '--sql',
      "SELECT run_id, status FROM runs WHERE run_id = 'full'",
    ]);
    expect(stored.code).toBe(0);
    expect(JSON.parse(stored.stdout)).toEqual([{ run_id: 'full', status: 'finished' }]);

    // data.trainLanguages: train on English only, evaluate on all three (zero-shot for de, ja)
    const texts = (stderr: string) => Number(/train data: \d+ images, (\d+) texts/.exec(stderr)?.[1]);
    const zs = unir([
      'run',
      'smoke',
      '--out',
      out,
      '--run-id',
      'zero-shot',
      '--set',
      'data.trainLanguages=["en"]',
      '--set',
      'curriculum.steps={"stage1":1,"stage2":1,"stage3":1}',
    ]);
    expect(zs.code).toBe(0);
    expect(texts(zs.stderr) * 3).toBe(texts(full.stderr));
    expect(Object.keys(json(join(out, 'zero-shot', 'metrics.json')).final.retrieval.t2i).sort()).toEqual([
      'de',
      'en',
      'ja',
      'mean',
    ]);
    const bad = unir([
      'run',
      'smoke',
      '--out',
      out,
      '--set',
      'data.languages=["en","de"]',
      '--set',
      'data.trainLanguages=["ja"]',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'unir: --set data.trainLanguages=["ja"]: data.trainLanguages: ja not in data.languages (en, de); add them there or drop them\n',
    );

    // stage 2 = global steps 41..60; checkpoints at 40 (stage end) and 50: a kill at 53 loses steps 51..53
    const crashed = join(out, 'crashed');
    const k = await runAndKill(
      ['run', 'smoke', '--out', out, '--run-id', 'crashed'],
      join(crashed, 'history.jsonl'),
      53,
    );
    expect(k.killed).toBe(true);
    expect(k.reached).toBeGreaterThanOrEqual(53);
    expect(k.reached).toBeLessThan(60);
    expect(json(join(crashed, 'run.json')).status).toBe('running');
    expect(existsSync(join(crashed, 'run.lock'))).toBe(true); // left by the killed process: taken over below
    const resumed = unir(['run', '--resume', crashed]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('resuming at global step 50 (stage2)');
    expect(history(crashed)).toEqual(rows);
    expect(existsSync(join(crashed, 'run.lock'))).toBe(false);
    const m2 = json(join(crashed, 'metrics.json'));
    expect(m2.stages).toEqual(metrics.stages);
    expect(m2.final).toEqual(metrics.final);
    const resumedRun = json(join(crashed, 'run.json'));
    expect(resumedRun).toMatchObject({ status: 'finished', globalStep: 80, resumes: [{ fromStep: 50 }] });
    // the times add up over both processes: stage1's steps were all done by the killed one
    expect(checkTimings(resumedRun).stepsByStage.stage1).toBeGreaterThan(0);
    expect(resumed.stderr).toContain(', the parts before the resume included)');
    expect(unir(['run', '--resume', crashed]).stderr).toBe(
      `unir: ${crashed}: this run already finished; start a new one with 'unir run smoke'\n`,
    );
  }, 600_000); // two smoke runs and a resume: ≈ 40 s idle, minutes on a loaded machine
});
