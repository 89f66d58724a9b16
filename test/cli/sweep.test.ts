import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRuns } from '../../src/core/store/store';
import { unir } from '../helpers/cli';

const tmp = mkdtempSync(join(tmpdir(), 'unir-sweep-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const runs = join(tmp, 'runs');
const db = join(tmp, 'unir.duckdb');
const report = join(tmp, 'report');

// 2 × 2 points × 2 seeds of smoke, shrunk to 4 steps on 8 concepts: each trial is process start-up + seconds.
const sweep = (fixed: Record<string, unknown> = {}) => ({
  id: 'tiny',
  question: 'does the sweep machinery work?',
  base: 'smoke',
  params: { 'optimizer.lr': [0.003, 0.001], 'curriculum.stages.stage3.weights.b': [0.3, 1] },
  seeds: [1, 2],
  fixed: {
    'curriculum.steps': { stage1: 2, stage2: 1, stage3: 1 },
    'data.batchSize': 8,
    'data.maxGroups': { train: 8, val: 4, test: 4 },
    checkpointEvery: 1,
    ...fixed,
  },
});
const file = join(tmp, 'tiny.json');
writeFileSync(file, JSON.stringify(sweep()));
const args = ['sweep', file, '--out', runs, '--db', db, '--report', report];

/** Starts the sweep in its own process group and SIGKILLs the whole group once the first trial finished. */
function sweepKilledAfterFirstTrial(): Promise<string> {
  return new Promise((resolveP, reject) => {
    const child = spawn(process.execPath, ['bin/unir.mjs', ...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, UNIR_WASM_THREADS: '1' },
    });
    let log = '';
    child.stdout.on('data', (b: Buffer) => {
      log += b.toString();
      if (/sweep: \[2\/8\]/.test(log)) process.kill(-child.pid!, 'SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', () => resolveP(log));
  });
}

/** The [start, end] wall-clock interval of a finished run, from its run.json. */
const interval = (dir: string) => {
  const r = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
    startedAt: string;
    finishedAt: string;
    threads: number;
  };
  return { start: Date.parse(r.startedAt), end: Date.parse(r.finishedAt), threads: r.threads };
};

describe('unir sweep', () => {
  it('a bad override path is one line naming the trial and the path, before any trial runs', () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        ...sweep({ 'data.batchSize': 8 }),
        params: { 'optimizer.lr': [0.003], 'data.maxGroup': [{ train: 8 }] },
      }),
    );
    const r = unir(['sweep', bad, '--out', join(tmp, 'bad-runs'), '--db', join(tmp, 'bad.duckdb')]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /sweep tiny: trial tiny--lr=0\.003-maxGroup=_train_8_--s1 \(base .*smoke\.ts\): .*data.*maxGroup/,
    );
    expect(existsSync(join(tmp, 'bad-runs'))).toBe(false);
  });

  it('--parallel 2 runs two trials at once, one thread each, with the numbers a one-at-a-time sweep gets', () => {
    const two = join(tmp, 'two.json');
    writeFileSync(
      two,
      JSON.stringify({ ...sweep(), id: 'two', params: { 'optimizer.lr': [0.003, 0.001] }, seeds: [1] }),
    );
    const at = (n: number) => [
      'sweep',
      two,
      '--out',
      join(tmp, `par${n}`),
      '--db',
      join(tmp, `par${n}.duckdb`),
      '--report',
      join(tmp, `par${n}-report`),
      '--parallel',
      String(n),
    ];
    const par = unir(at(2), {}, 600_000);
    expect(par.code, par.stderr + par.stdout.slice(-2000)).toBe(0);
    expect(par.stdout).toContain('sweep: 2 trials, 0 already finished, 2 to run, 2 at a time');
    expect(par.stdout).toContain('sweep two: 2 ran, 0 skipped (already finished), 0 failed; 2 recorded in');
    const ids = readdirSync(join(tmp, 'par2'))
      .filter((d) => d.startsWith('two--'))
      .sort();
    expect(ids).toHaveLength(2);
    // both ran at the same time: each started before the other finished (a sequential runner cannot do that)
    const [a, b] = ids.map((d) => interval(join(tmp, 'par2', d)));
    expect(a!.start).toBeLessThan(b!.end);
    expect(b!.start).toBeLessThan(a!.end);
    // the cores are split between the trials (UNIR_WASM_THREADS = cores / 2, at least 1)
    for (const x of [a!, b!]) expect(x.threads).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
    // and nothing leaks between them: the same trials one at a time end with the same metrics
    const seq = unir(at(1), { UNIR_WASM_THREADS: '1' }, 600_000);
    expect(seq.code, seq.stderr).toBe(0);
    for (const d of ids) {
      const m = (n: number) =>
        JSON.parse(readFileSync(join(tmp, `par${n}`, d, 'metrics.json'), 'utf8')) as {
          final: unknown;
          stages: unknown;
        };
      expect(m(2).final, d).toEqual(m(1).final);
      expect(m(2).stages, d).toEqual(m(1).stages);
    }
  }, 900_000);

  it('--dry-run validates and lists all 8 trials, runs none', () => {
    const r = unir([...args, '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('8 trials valid (4 points × 2 seeds), 0 already finished');
    expect(r.stdout.match(/^ {2}to run {3}unir run smoke --seed [12] --run-id tiny--lr=/gm)).toHaveLength(8);
    expect(existsSync(runs)).toBe(false);
  });

  it('killed after its first trial, a re-run runs only the 7 missing trials; 8 runs, store rows and a report', async () => {
    const first = await sweepKilledAfterFirstTrial();
    expect(first).toContain('sweep: 8 trials, 0 already finished, 8 to run');
    const r = unir(args, { UNIR_WASM_THREADS: '1' }, 600_000);
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    expect(r.stdout).toContain('sweep: 8 trials, 1 already finished, 7 to run, 1 at a time');
    expect(r.stdout.match(/^sweep: \[\d\/7\] /gm)).toHaveLength(7);
    expect(r.stdout).toContain('sweep tiny: 7 ran, 1 skipped (already finished), 0 failed; 8 recorded in');
    const dirs = readdirSync(runs).filter((d) => d.startsWith('tiny--'));
    expect(dirs).toHaveLength(8);
    for (const d of dirs) expect(JSON.parse(readFileSync(join(runs, d, 'run.json'), 'utf8')).status).toBe('finished');

    const q = await queryRuns(
      db,
      "SELECT run_id, value FROM metrics WHERE stage = 'final' AND task = 't2i' AND language = 'mean' AND metric = 'R@10' ORDER BY run_id",
    );
    expect(q.rows.map((x) => x.run_id).sort()).toEqual([...dirs].sort());
    const rep = JSON.parse(readFileSync(join(report, 'sweep.json'), 'utf8')) as {
      table: { columns: string[]; rows: unknown[][] };
      points: unknown[];
    };
    expect(rep.points).toHaveLength(4);
    expect(rep.table.rows).toHaveLength(8);
    const col = rep.table.columns.indexOf('t2i R@10');
    for (const row of rep.table.rows) expect(row[col]).toBe(q.rows.find((x) => x.run_id === row[0])!.value);
    expect(existsSync(join(report, 'sweep.html'))).toBe(true);

    // without --db, a sweep records its trials beside them (<out>/unir.duckdb), as `unir run --out` does; here all
    // 8 are finished, so it only records
    const again = unir(['sweep', file, '--out', runs, '--report', report], { UNIR_WASM_THREADS: '1' });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      `sweep tiny: 0 ran, 8 skipped (already finished), 0 failed; 8 recorded in ${join(runs, 'unir.duckdb')}`,
    );

    // unir results on that store: the arm table holds the store's numbers
    const md = join(tmp, 'RESULTS.md');
    const res = unir(['results', '--db', db, '--runs-dir', runs, '--out', md]);
    expect(res.code, res.stderr).toBe(0);
    const text = readFileSync(md, 'utf8');
    const arm = 'lr=0.003-b=0.3';
    // oracle: mean ± t(0.975, 1) · s / √2 over the arm's two seeds, from the store's rows (intent accuracy varies
    // between seeds; T2I R@10 on 4 test groups is 1 for every run)
    const intent = await queryRuns(
      db,
      "SELECT run_id, value FROM metrics WHERE stage = 'final' AND task = 'nlu' AND language = 'mean' AND metric = 'intentAccuracy' ORDER BY run_id",
    );
    const cell = (rows: typeof q.rows) => {
      const xs = rows.filter((x) => (x.run_id as string).includes(`--${arm}--`)).map((x) => x.value as number);
      expect(xs).toHaveLength(2);
      const half = (12.706 * (Math.abs(xs[0]! - xs[1]!) / Math.SQRT2)) / Math.SQRT2;
      return `${((xs[0]! + xs[1]!) / 2).toFixed(3)} ± ${half.toFixed(3)}`;
    };
    const row = text.split('\n').find((l) => l.startsWith(`| ${arm} | 1,2 |`));
    expect(row, text).toBeDefined();
    const cells = row!.split('|').map((c) => c.trim());
    expect(cells[3]).toBe(cell(q.rows));
    expect(cells[7]).toBe(cell(intent.rows));
    expect(text).toMatch(
      /\*\*lr=[\d.]+-b=[\d.]+ − lr=[\d.]+-b=[\d.]+, t2i R@10\*\* \(test, macro mean over languages\): .*; Δ = [+−]?\d\.\d{3}, 95% CI \[[+−]?\d\.\d{3}, [+−]?\d\.\d{3}\] \(paired bootstrap: \d+ test queries × 2 seed pairs/,
    );
  }, 900_000);
});
