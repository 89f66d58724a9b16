import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../errors';
import { withFileLock, type LockOptions } from './lock';
import { accessHint, READ_ONLY_CONFIG, readOnlySqlProblem } from './read-only-sql';
import { allMetricRows, configRows, historyRows, type StoreRun } from './rows';
import { runFile } from '../run/layout';
import { runFromDir } from './run-dir';

/** Where `unir` keeps its run store, relative to the working directory. */
export const DEFAULT_DB = 'runs/unir.duckdb';

/**
 * Tables (long form, one row per number; runs.run_id is unique, recordRun replaces a run's rows):
 *   runs(run_id, experiment, status, backend, threads, seed, started_at, finished_at, git_sha, config JSON, duration_sec)
 *     duration_sec: seconds the run's processes trained and evaluated (resumes add up; waits between them do not)
 *   configs(run_id, path, value JSON)            -- config leaves by dotted path
 *   metrics(run_id, stage, task, language, metric, value)   -- stage 'final' = final metrics
 *   history(run_id, stage, step, global_step, name, value)  -- loss terms, lr, samplesPerSec
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR NOT NULL, experiment VARCHAR, status VARCHAR, backend VARCHAR, threads INTEGER,
     seed BIGINT, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, git_sha VARCHAR, config JSON)`,
  // added after the first stores were written: stores without it gain it on the next write
  'ALTER TABLE runs ADD COLUMN IF NOT EXISTS duration_sec DOUBLE',
  'CREATE TABLE IF NOT EXISTS configs (run_id VARCHAR NOT NULL, path VARCHAR, value JSON)',
  'CREATE TABLE IF NOT EXISTS metrics (run_id VARCHAR NOT NULL, stage VARCHAR, task VARCHAR, language VARCHAR, metric VARCHAR, value DOUBLE)',
  'CREATE TABLE IF NOT EXISTS history (run_id VARCHAR NOT NULL, stage VARCHAR, step INTEGER, global_step INTEGER, name VARCHAR, value DOUBLE)',
];
const TABLES = ['runs', 'configs', 'metrics', 'history'] as const;

/** A statement DuckDB refused (bad SQL); `sqlMessage` is DuckDB's first line. */
export class StoreSqlError extends UserError {
  constructor(
    readonly dbPath: string,
    readonly sqlMessage: string,
  ) {
    super(`${dbPath}: ${sqlMessage}`);
  }
}

const firstLine = (e: unknown) =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]!
    .trim();
const lockOf = (dbPath: string) => `${dbPath}.lock`;

function corrupt(dbPath: string, e: unknown): UserError {
  return new UserError(
    `${dbPath}: not a readable DuckDB run store (${firstLine(e)}); move it aside (mv ${dbPath} ${dbPath}.broken) and rebuild it with 'unir runs --rebuild'`,
  );
}

/** DuckDB errors that mean the file itself is damaged, as opposed to a bad statement. */
const looksCorrupt = (e: unknown) =>
  /^(IO Error|Serialization Error|INTERNAL Error)|corrupt|checksum/i.test(firstLine(e));

async function open(dbPath: string, readOnly: boolean): Promise<{ inst: DuckDBInstance; conn: DuckDBConnection }> {
  let inst: DuckDBInstance;
  try {
    inst = await DuckDBInstance.create(dbPath, readOnly ? READ_ONLY_CONFIG : {});
  } catch (e) {
    if (/lock/i.test(firstLine(e))) {
      throw new UserError(
        `${dbPath}: held by another program (${firstLine(e)}); close it (a DuckDB shell or notebook?) and retry`,
      );
    }
    throw corrupt(dbPath, e);
  }
  return { inst, conn: await inst.connect() };
}

/** Opens the store under its lock file, runs `fn`, closes; errors from a damaged file become one-line UserErrors. */
async function withStore<T>(
  dbPath: string,
  readOnly: boolean,
  fn: (c: DuckDBConnection) => Promise<T>,
  lock?: LockOptions,
): Promise<T> {
  if (!readOnly) mkdirSync(dirname(dbPath), { recursive: true });
  return withFileLock(
    lockOf(dbPath),
    async () => {
      const { inst, conn } = await open(dbPath, readOnly);
      try {
        if (!readOnly) {
          try {
            for (const s of SCHEMA) await conn.run(s);
          } catch (e) {
            throw looksCorrupt(e) ? corrupt(dbPath, e) : e;
          }
        }
        return await fn(conn);
      } finally {
        conn.closeSync();
        inst.closeSync();
      }
    },
    lock,
  );
}

async function insertRun(c: DuckDBConnection, run: StoreRun): Promise<number> {
  for (const t of TABLES) await c.run(`DELETE FROM ${t} WHERE run_id = $1`, [run.runId]);
  await c.run(
    `INSERT INTO runs (run_id, experiment, status, backend, threads, seed, started_at, finished_at, git_sha, config, duration_sec)
     VALUES ($1, $2, $3, $4, $5, $6, TRY_CAST($7 AS TIMESTAMPTZ), TRY_CAST($8 AS TIMESTAMPTZ), $9, CAST($10 AS JSON), $11)`,
    [
      run.runId,
      run.experiment,
      run.status,
      run.backend,
      run.threads ?? null,
      run.seed ?? null,
      run.startedAt ?? null,
      run.finishedAt ?? null,
      run.gitSha ?? null,
      JSON.stringify(run.config ?? {}),
      run.durationSec ?? null,
    ],
  );
  let n = 1;
  // column types after run_id: s VARCHAR/JSON, i INTEGER, d DOUBLE
  const append = async (table: string, types: string, rows: readonly (readonly (string | number)[])[]) => {
    if (!rows.length) return;
    const a = await c.createAppender(table);
    try {
      for (const row of rows) {
        a.appendVarchar(run.runId);
        row.forEach((v, k) => {
          if (types[k] === 's') a.appendVarchar(v as string);
          else if (types[k] === 'i') a.appendInteger(v as number);
          else a.appendDouble(v as number);
        });
        a.endRow();
      }
    } finally {
      a.closeSync();
    }
    n += rows.length;
  };
  await append('configs', 'ss', configRows(run.config));
  await append('metrics', 'ssssd', allMetricRows(run.metrics));
  await append('history', 'siisd', historyRows(run.history));
  return n;
}

async function transaction<T>(c: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await c.run('BEGIN TRANSACTION');
  try {
    const r = await fn();
    await c.run('COMMIT');
    return r;
  } catch (e) {
    await c.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/**
 * Records one run (replacing its earlier rows) in a single transaction, under the store's lock file, so
 * concurrent processes finishing at once queue up instead of failing. Returns the number of rows written.
 */
export async function recordRun(dbPath: string, run: StoreRun, lock?: LockOptions): Promise<number> {
  return withStore(dbPath, false, (c) => transaction(c, () => insertRun(c, run)), lock);
}

/** Records a finished run directory (metrics.json, config.json, run.json, history.jsonl). */
export async function recordRunDir(dbPath: string, runDir: string, lock?: LockOptions): Promise<number> {
  return recordRun(dbPath, runFromDir(runDir), lock);
}

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

const plain = (v: unknown): unknown => {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
};

/**
 * Runs one SELECT on the store opened read-only with file and network access off (READ_ONLY_CONFIG). Anything
 * else (another statement type, several statements, bad SQL, a file access) → StoreSqlError, nothing run.
 */
export async function queryRuns(dbPath: string, sql: string, lock?: LockOptions): Promise<QueryResult> {
  if (!existsSync(dbPath)) {
    throw new UserError(
      `${dbPath}: no run store yet; it is written when a run finishes, or build it from run directories with 'unir runs --rebuild'`,
    );
  }
  return withStore(
    dbPath,
    true,
    async (c) => {
      const problem = await readOnlySqlProblem(c, sql);
      if (problem) throw new StoreSqlError(dbPath, problem);
      try {
        const reader = await c.runAndReadAll(sql);
        return {
          columns: reader.columnNames(),
          rows: reader.getRowObjectsJS().map((r) => plain(r) as Record<string, unknown>),
        };
      } catch (e) {
        if (looksCorrupt(e)) throw corrupt(dbPath, e);
        throw new StoreSqlError(dbPath, accessHint(firstLine(e)));
      }
    },
    lock,
  );
}

export interface RebuildResult {
  imported: string[];
  skipped: { dir: string; reason: string }[];
}

/**
 * Rebuilds the store from every run directory under `runsDir` that has a metrics.json: writes a new
 * database beside the old one and renames it into place, so the old store stays intact until the end.
 */
export async function rebuildStore(dbPath: string, runsDir: string, lock?: LockOptions): Promise<RebuildResult> {
  if (!existsSync(runsDir)) throw new UserError(`${runsDir}: no such runs directory; pass --runs-dir DIR`);
  mkdirSync(dirname(dbPath), { recursive: true });
  const tmp = `${dbPath}.rebuild-${process.pid}`;
  const result: RebuildResult = { imported: [], skipped: [] };
  const dirs = readdirSync(runsDir)
    .sort()
    .map((d) => join(runsDir, d))
    .filter((d) => statSync(d).isDirectory() && existsSync(runFile(d, 'metrics')));
  await withFileLock(
    lockOf(dbPath),
    async () => {
      for (const f of [tmp, `${tmp}.wal`]) rmSync(f, { force: true });
      const inst = await DuckDBInstance.create(tmp);
      const c = await inst.connect();
      try {
        for (const s of SCHEMA) await c.run(s);
        await transaction(c, async () => {
          for (const dir of dirs) {
            let run: StoreRun;
            try {
              run = runFromDir(dir);
            } catch (e) {
              result.skipped.push({ dir, reason: firstLine(e) });
              continue;
            }
            await insertRun(c, run);
            result.imported.push(run.runId);
          }
        });
        await c.run('CHECKPOINT');
      } finally {
        c.closeSync();
        inst.closeSync();
      }
      rmSync(`${dbPath}.wal`, { force: true }); // a WAL of the old file must not be replayed onto the new one
      rmSync(`${tmp}.wal`, { force: true });
      renameSync(tmp, dbPath);
    },
    lock,
  );
  return result;
}
