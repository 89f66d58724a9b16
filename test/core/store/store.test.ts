import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withFileLock } from '../../../src/core/store/lock';
import { metricRows } from '../../../src/core/store/rows';
import { queryRuns, rebuildStore, recordRun, recordRunDir, StoreSqlError } from '../../../src/core/store/store';
import { writeFakeRun } from '../../helpers/fake-run';
import { ROWS_PER_RUN, syntheticRun } from './synthetic-run';

const tmp = mkdtempSync(join(tmpdir(), 'unir-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const counts = async (db: string, where = '') => {
  const r = await queryRuns(
    db,
    ['runs', 'configs', 'metrics', 'history']
      .map((t) => `SELECT '${t}' AS t, count(*) AS n FROM ${t} ${where}`)
      .join(' UNION ALL '),
  );
  return Object.fromEntries(r.rows.map((x) => [x.t, x.n]));
};

describe('run store', () => {
  it('records a run in long form and replaces it when recorded again', async () => {
    const db = join(tmp, 'a', 'unir.duckdb');
    await recordRun(db, syntheticRun('r1', 1));
    await recordRun(db, syntheticRun('r1', 2)); // same id: replaced, not duplicated
    expect(await counts(db)).toEqual(ROWS_PER_RUN);
    const r = await queryRuns(
      db,
      "SELECT run_id, seed, threads, started_at, config->>'$.model.fusion.id' AS fusion FROM runs",
    );
    expect(r.rows).toEqual([
      { run_id: 'r1', seed: 2, threads: 1, started_at: '2025-01-02T03:04:05.000Z', fusion: 'none' },
    ]);
    const m = await queryRuns(
      db,
      "SELECT value FROM metrics WHERE stage = 'final' AND task = 't2i' AND language = 'mean' AND metric = 'R@10'",
    );
    expect(m.rows).toEqual([{ value: 0.8 }]);
    const h = await queryRuns(
      db,
      "SELECT global_step, value FROM history WHERE name = 'tc' ORDER BY global_step LIMIT 2",
    );
    expect(h.rows).toEqual([
      { global_step: 1, value: 2 },
      { global_step: 2, value: 1 },
    ]);
    expect(existsSync(`${db}.lock`)).toBe(false);
  });

  it('is transactional: a failing record leaves the previous rows of that run untouched', async () => {
    const db = join(tmp, 'b', 'unir.duckdb');
    await recordRun(db, syntheticRun('r1', 1));
    const bad = syntheticRun('r1', 9);
    bad.history = [...bad.history!, { stage: 'joint', step: 2 ** 40, globalStep: 1, losses: { ti: 1 } }]; // INTEGER overflow at the end
    await expect(recordRun(db, bad)).rejects.toThrow();
    expect(await counts(db)).toEqual(ROWS_PER_RUN);
    expect((await queryRuns(db, 'SELECT seed FROM runs')).rows).toEqual([{ seed: 1 }]);
  });

  it('three processes recording at once all land (lock file around open-write-close)', async () => {
    const db = join(tmp, 'c', 'unir.duckdb');
    const workers = ['p', 'q', 'r'].map(
      (prefix) =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const child = spawn(
            process.execPath,
            ['bin/run-ts.mjs', 'test/core/store/record-worker.ts', db, prefix, '4'],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let err = '';
          child.stderr.on('data', (d) => (err += d));
          child.on('close', (code) => resolve({ code, err }));
        }),
    );
    const results = await Promise.all(workers);
    expect(results).toEqual([
      { code: 0, err: '' },
      { code: 0, err: '' },
      { code: 0, err: '' },
    ]);
    const c = await counts(db);
    expect(c).toEqual(Object.fromEntries(Object.entries(ROWS_PER_RUN).map(([t, n]) => [t, 12 * n])));
    const ids = (await queryRuns(db, 'SELECT run_id FROM runs ORDER BY run_id')).rows.map((r) => r.run_id);
    expect(ids).toEqual(['p', 'q', 'r'].flatMap((p) => [0, 1, 2, 3].map((i) => `${p}-${i}`)));
    expect(readdirSync(join(tmp, 'c')).filter((f) => f.includes('lock'))).toEqual([]);
  });

  it("breaks a dead process's lock, and times out on a live one with a one-line message", async () => {
    const lock = join(tmp, 'd.lock');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), since: Date.now(), token: 'x' }));
    expect(await withFileLock(lock, async () => 'ran')).toBe('ran');
    expect(existsSync(lock)).toBe(false);
    writeFileSync(
      lock,
      JSON.stringify({ pid: process.pid, host: hostname(), since: Date.parse('2025-01-01T00:00:00Z'), token: 'y' }),
    );
    await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 100, staleMs: 1e15 })).rejects.toThrow(
      `${lock}: the run store is locked by pid ${process.pid} on ${hostname()} since 2025-01-01T00:00:00.000Z; wait for it to finish, or delete the lock file if that process is gone`,
    );
    // an old lock is stale even if its pid is alive (reused pid)
    expect(await withFileLock(lock, async () => 'ran', { staleMs: 1000 })).toBe('ran');
  });

  it("bad SQL is a StoreSqlError with DuckDB's first line; the store is read-only to queries", async () => {
    const db = join(tmp, 'a', 'unir.duckdb');
    await expect(queryRuns(db, 'SELEC 1')).rejects.toThrow(
      new StoreSqlError(db, 'Parser Error: syntax error at or near "SELEC"'),
    );
    await expect(queryRuns(db, 'DELETE FROM runs')).rejects.toThrow(/read-only/);
    await expect(queryRuns(join(tmp, 'none.duckdb'), 'SELECT 1')).rejects.toThrow(
      `${join(tmp, 'none.duckdb')}: no run store yet; it is written when a run finishes, or build it from run directories with 'unir runs --rebuild'`,
    );
  });

  it('a corrupt file is a one-line error naming the fix; --rebuild re-imports runs/*/ and replaces it', async () => {
    const runs = join(tmp, 'runs');
    writeFakeRun(join(runs, 'alpha'), 'alpha', 1);
    writeFakeRun(join(runs, 'beta'), 'beta', 2);
    mkdirSync(join(runs, 'unfinished'));
    mkdirSync(join(runs, 'garbled'));
    writeFileSync(join(runs, 'garbled', 'metrics.json'), '{');
    const db = join(runs, 'unir.duckdb');
    writeFileSync(db, 'not a database'.repeat(1000));
    const msg = `${db}: not a readable DuckDB run store (IO Error: The file "${db}" exists, but it is not a valid DuckDB database file!); move it aside (mv ${db} ${db}.broken) and rebuild it with 'unir runs --rebuild'`;
    await expect(recordRun(db, syntheticRun('x', 1))).rejects.toThrow(msg);
    await expect(queryRuns(db, 'SELECT 1')).rejects.toThrow(msg);
    const r = await rebuildStore(db, runs);
    expect(r.imported).toEqual(['alpha', 'beta']);
    expect(r.skipped).toEqual([
      { dir: join(runs, 'garbled'), reason: expect.stringMatching(/garbled\/metrics\.json: not valid JSON/) },
    ]);
    // every number of metrics.json and every history value is in the store
    const fake = JSON.parse(readFileSync(join(runs, 'alpha', 'metrics.json'), 'utf8'));
    const expected = [
      ...fake.stages.flatMap((s: { name: string; metrics: Record<string, unknown> }) => metricRows(s.name, s.metrics)),
      ...metricRows('final', fake.final),
    ];
    const got = await queryRuns(db, "SELECT count(*) AS n, sum(value) AS s FROM metrics WHERE run_id = 'alpha'");
    expect(got.rows[0]!.n).toBe(expected.length);
    expect(got.rows[0]!.s).toBeCloseTo(
      expected.reduce((a, x) => a + x[4], 0),
      9,
    );
    expect(expected.length).toBe(4 * (3 * 13 * 5 + 3 * 13)); // 3 stages + final: 3 tasks × 13 langs × 5 keys + 3 nlu metrics × 13 langs
    const hist = await queryRuns(db, "SELECT count(*) AS n FROM history WHERE run_id = 'beta'");
    expect(hist.rows[0]!.n).toBe(20 * (2 + 2) + 20 * (3 + 2) + 20 * (2 + 2)); // per step: its loss terms + lr + samplesPerSec
  });

  it('recordRunDir reads run.json / config.json / history.jsonl beside metrics.json', async () => {
    const dir = join(tmp, 'runs2', 'gamma');
    writeFakeRun(dir, 'gamma', 3);
    const db = join(tmp, 'runs2', 'unir.duckdb');
    await recordRunDir(db, dir);
    const r = await queryRuns(db, 'SELECT run_id, experiment, status, backend, threads, seed, git_sha FROM runs');
    expect(r.rows).toEqual([
      {
        run_id: 'gamma',
        experiment: 'smoke',
        status: 'finished',
        backend: 'wasm',
        threads: 2,
        seed: 3,
        git_sha: 'abc1234',
      },
    ]);
    const cfg = await queryRuns(db, "SELECT path, value FROM configs WHERE path = 'model.fusion.id'");
    expect(cfg.rows).toEqual([{ path: 'model.fusion.id', value: '"cross-attention"' }]);
  });
});
