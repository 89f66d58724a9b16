import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unir } from '../helpers/cli';
import { writeFakeRun } from '../helpers/fake-run';

const tmp = mkdtempSync(join(tmpdir(), 'unir-runs-cli-'));
const runs = join(tmp, 'runs');
const db = join(runs, 'unir.duckdb');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => {
  writeFakeRun(join(runs, 'alpha'), 'alpha', 1);
  writeFakeRun(join(runs, 'beta'), 'beta', 2);
});

describe('unir runs', () => {
  it('--rebuild imports the run directories, then lists them with their final mean metrics', () => {
    const r = unir(['runs', '--rebuild', '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`runs: rebuilt ${db} from ${runs}: 2 run(s) imported, 0 skipped`);
    const list = unir(['runs', '--db', db]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^run_id\s+experiment\s+status\s+backend\s+seed\s+started_at\s+t2i R@10\s+i2t R@10\s+t2t R@10\s+q2i R@10\s+intent acc\s+slot F1$/,
    );
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['alpha', 'beta']);
    const metrics = JSON.parse(readFileSync(join(runs, 'alpha', 'metrics.json'), 'utf8'));
    expect(lines[2]).toContain(metrics.final.retrieval.t2i.mean['R@10'].toFixed(4));
  });

  it('--sql with --json prints the query rows', () => {
    const r = unir([
      'runs',
      '--db',
      db,
      '--json',
      '--sql',
      "SELECT run_id, value FROM metrics WHERE stage = 'final' AND task = 'nlu' AND metric = 'slotF1' AND language = 'mean' ORDER BY run_id",
    ]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout);
    const want = ['alpha', 'beta'].map((id) => ({
      run_id: id,
      value: JSON.parse(readFileSync(join(runs, id, 'metrics.json'), 'utf8')).final.nlu.slotF1.mean,
    }));
    expect(rows).toEqual(want);
  });

  it("bad SQL is one line with DuckDB's first line, no stack trace", () => {
    const r = unir(['runs', '--db', db, '--sql', 'SELEC run_id FROM runs']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('unir: runs --sql: Parser Error: syntax error at or near "SELEC"\n');
    const missing = unir(['runs', '--db', db, '--sql', 'SELECT * FROM nope']);
    expect(missing.stderr).toBe('unir: runs --sql: Catalog Error: Table with name nope does not exist!\n');
  });

  it('a corrupt store names the file and the fix; --rebuild repairs it', () => {
    const bad = join(tmp, 'broken', 'unir.duckdb');
    mkdirSync(join(tmp, 'broken'));
    writeFileSync(bad, 'garbage'.repeat(2000));
    const r = unir(['runs', '--db', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `unir: ${bad}: not a readable DuckDB run store (IO Error: The file "${bad}" exists, but it is not a valid DuckDB database file!); move it aside (mv ${bad} ${bad}.broken) and rebuild it with 'unir runs --rebuild'\n`,
    );
    expect(unir(['runs', '--db', bad, '--rebuild', '--runs-dir', runs]).code).toBe(0);
    expect(JSON.parse(unir(['runs', '--db', bad, '--json', '--sql', 'SELECT count(*) AS n FROM runs']).stdout)).toEqual(
      [{ n: 2 }],
    );
  });
});
