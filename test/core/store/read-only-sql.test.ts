import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRuns, recordRun } from '../../../src/core/store/store';
import { ROWS_PER_RUN, syntheticRun } from './synthetic-run';

// A real store with one run, and a second store file an ATTACH could write to; every refused statement must
// leave both byte for byte as they were, and write no other file.
const tmp = mkdtempSync(join(tmpdir(), 'unir-ro-sql-'));
const db = join(tmp, 'unir.duckdb');
const other = join(tmp, 'other.duckdb');
let dbBytes: Buffer;
let otherBytes: Buffer;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await recordRun(db, syntheticRun('r1', 1));
  copyFileSync(db, other);
  dbBytes = readFileSync(db);
  otherBytes = readFileSync(other);
});

const refused = async (sql: string) => {
  const err = await queryRuns(db, sql).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err, sql).toBeDefined();
  expect(readFileSync(db).equals(dbBytes), `${sql}: the store changed`).toBe(true);
  expect(readFileSync(other).equals(otherBytes), `${sql}: the other store changed`).toBe(true);
  return (err as Error & { sqlMessage: string }).sqlMessage;
};

const EXAMPLE = 'give one SELECT statement, e.g. "SELECT run_id, status FROM runs"';

describe('queryRuns: one read-only SELECT, classified by DuckDB, external access off, configuration locked', () => {
  it('refuses COPY … TO (which used to overwrite the store) and writes no file', async () => {
    expect(await refused(`COPY (SELECT 'x' AS x) TO '${db}' (FORMAT csv)`)).toBe(
      `COPY statements are refused (the run store is read-only here); ${EXAMPLE}`,
    );
    // DuckDB's binder may refuse this one first (file access off): either way nothing is written
    expect(await refused(`COPY runs TO '${join(tmp, 'out.csv')}'`)).toMatch(
      /^(COPY statements are refused|Permission Error: .*disabled by configuration)/,
    );
    expect(existsSync(join(tmp, 'out.csv'))).toBe(false);
    expect(await refused(`EXPORT DATABASE '${join(tmp, 'export')}'`)).toMatch(
      /^(EXPORT statements are refused|Permission Error: .*disabled by configuration)/,
    );
    expect(existsSync(join(tmp, 'export'))).toBe(false);
  });

  it('refuses ATTACH, alone or followed by a DROP', async () => {
    expect(await refused(`ATTACH '${other}' AS o (READ_WRITE)`)).toBe(
      `ATTACH statements are refused (the run store is read-only here); ${EXAMPLE}`,
    );
    expect(await refused(`ATTACH '${other}' AS o (READ_WRITE); DROP TABLE o.runs`)).toBe(
      '2 statements in one query; give one SELECT statement at a time',
    );
  });

  it('refuses INSTALL and LOAD, SET (the configuration is locked), writes, CALL, and several statements', async () => {
    expect(await refused('INSTALL httpfs')).toBe(
      `INSTALL/LOAD statements are refused (the run store is read-only here); ${EXAMPLE}`,
    );
    expect(await refused('LOAD httpfs')).toBe(
      `INSTALL/LOAD statements are refused (the run store is read-only here); ${EXAMPLE}`,
    );
    expect(await refused('SET enable_external_access = true')).toMatch(/^SET statements are refused/);
    expect(await refused('DELETE FROM runs')).toMatch(
      /^DELETE statements are refused \(the run store is read-only here\)/,
    );
    expect(await refused('DROP TABLE runs')).toMatch(/^DROP statements are refused/);
    expect(await refused('CHECKPOINT')).toMatch(/^CALL statements are refused/);
    expect(await refused('SELECT 1; SELECT 2')).toBe('2 statements in one query; give one SELECT statement at a time');
  });

  it('a SELECT that reads a file is refused by DuckDB (file system access off), named as such', async () => {
    for (const fn of ["read_text('/etc/passwd')", "read_csv('/etc/passwd')", "glob('/etc/*')"]) {
      expect(await refused(`SELECT * FROM ${fn}`)).toMatch(
        /^Permission Error: Cannot access file "\/etc\/[^"]*" - file system operations are disabled by configuration; queries read the run store's tables only \(runs, configs, metrics, history\)$/,
      );
    }
  });

  it('an empty query or one with only a comment says so instead of listing runs', async () => {
    expect(await refused('')).toBe(`the query is empty; ${EXAMPLE}`);
    expect(await refused('  \n ')).toBe(`the query is empty; ${EXAMPLE}`);
    expect(await refused('-- nothing')).toBe(`no SQL statement in the query; ${EXAMPLE}`);
  });

  it('still answers SELECT, WITH, SHOW, DESCRIBE, SUMMARIZE and PRAGMA show_tables', async () => {
    expect((await queryRuns(db, 'SELECT count(*) AS n FROM history')).rows).toEqual([{ n: ROWS_PER_RUN.history }]);
    expect((await queryRuns(db, 'WITH x AS (SELECT run_id FROM runs) SELECT * FROM x')).rows).toEqual([
      { run_id: 'r1' },
    ]);
    expect((await queryRuns(db, 'SHOW TABLES')).rows.map((r) => r.name)).toEqual([
      'configs',
      'history',
      'metrics',
      'runs',
    ]);
    expect((await queryRuns(db, 'PRAGMA show_tables')).rows).toHaveLength(4);
    expect((await queryRuns(db, 'DESCRIBE runs')).rows.map((r) => r.column_name)).toContain('config');
    expect((await queryRuns(db, 'SUMMARIZE metrics')).rows.length).toBeGreaterThan(0);
    expect(readFileSync(db).equals(dbBytes)).toBe(true);
  });
});
