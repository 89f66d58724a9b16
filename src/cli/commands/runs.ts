import { dirname } from 'node:path';
import { UserError } from '../../core/errors';
import { DEFAULT_DB, queryRuns, rebuildStore, StoreSqlError, type QueryResult } from '../../core/store/store';
import { headlineMetrics, type HeadlineMetric } from '../../core/eval/headline';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';

const sqlStr = (x: string) => `'${x.replace(/'/g, "''")}'`;

/** One line per run with its final headline metrics (the metric plugins' headlines, macro mean over languages). */
function listSql(heads: readonly HeadlineMetric[]): string {
  const cols = heads.map(
    (h) =>
      `  max(CASE WHEN m.task = ${sqlStr(h.task)} AND m.metric = ${sqlStr(h.metric)} AND m.language = ${sqlStr(h.language)} THEN m.value END) AS "${h.label.replace(/"/g, '""')}"`,
  );
  return `SELECT r.run_id, r.experiment, r.status, r.backend, r.seed, r.started_at,
${cols.join(',\n')}
FROM runs r LEFT JOIN metrics m ON m.run_id = r.run_id AND m.stage = 'final'
GROUP BY ALL ORDER BY r.started_at NULLS LAST, r.run_id`;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) return v.slice(0, 16).replace('T', ' ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A plain text table: header, rule, rows; numbers right-aligned. */
export function textTable(r: QueryResult): string {
  const rows = r.rows.map((row) => r.columns.map((c) => cell(row[c])));
  const width = r.columns.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const numeric = r.columns.map((c) =>
    r.rows.every((row) => typeof row[c] === 'number' || row[c] === null || row[c] === undefined),
  );
  const line = (cells: string[]) =>
    cells
      .map((x, i) => (numeric[i] ? x.padStart(width[i]!) : x.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  return [line(r.columns), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const command: CliCommand = {
  name: 'runs',
  summary: 'List recorded runs, query the DuckDB run store with SQL, or rebuild it from run directories',
  usage: `Usage: unir runs [--sql "<query>"] [--json] [--db PATH] [--rebuild [--runs-dir DIR]]

Without --sql: one line per run with its final headline metrics (the metric plugins' headlines: mean R@10 per\ntask, intent accuracy, slot F1).
  --sql "<query>"  run one SELECT (also SHOW, DESCRIBE, SUMMARIZE) on the store opened read-only, with file and
                   network access off: COPY, ATTACH, INSTALL/LOAD, read_text(), several statements are refused; tables:
                     runs(run_id, experiment, status, backend, threads, seed, started_at, finished_at, git_sha, config JSON)
                     configs(run_id, path, value JSON)
                     metrics(run_id, stage, task, language, metric, value)     -- stage 'final' = final metrics
                     history(run_id, stage, step, global_step, name, value)
  --json           print rows as a JSON array instead of a table
  --db PATH        the store (default ${DEFAULT_DB})
  --rebuild        re-create the store from <runs-dir>/*/metrics.json (+ run.json, config.json, history.jsonl)
  --runs-dir DIR   where the run directories are (default: the folder of --db)

Example: unir runs --sql "SELECT run_id, value FROM metrics WHERE stage='final' AND task='t2i' AND language='mean' AND metric='R@10' ORDER BY value DESC"`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      'runs',
      argv,
      {
        sql: { type: 'string' },
        json: { type: 'boolean' },
        db: { type: 'string' },
        rebuild: { type: 'boolean' },
        'runs-dir': { type: 'string' },
      },
      false,
    );
    void positionals;
    const db = values.db ?? DEFAULT_DB;
    if (values.rebuild) {
      if (values.sql !== undefined)
        throw new UserError(
          "runs: use --rebuild and --sql separately ('unir runs --rebuild', then 'unir runs --sql ...')",
        );
      const runsDir = values['runs-dir'] ?? dirname(db);
      const r = await rebuildStore(db, runsDir);
      console.log(
        `runs: rebuilt ${db} from ${runsDir}: ${r.imported.length} run(s) imported, ${r.skipped.length} skipped`,
      );
      for (const s of r.skipped) console.log(`  skipped ${s.dir}: ${s.reason}`);
      return 0;
    }
    const own = values.sql !== undefined; // --sql "" is the user's (empty) query, not the default list
    let result: QueryResult;
    try {
      result = await queryRuns(db, own ? values.sql! : listSql(headlineMetrics(registry().registered('metric'))));
    } catch (e) {
      if (e instanceof StoreSqlError)
        throw new UserError(
          own ? `runs --sql: ${e.sqlMessage}` : `runs: ${e.message}; rebuild the store with 'unir runs --rebuild'`,
        );
      throw e;
    }
    if (values.json) console.log(JSON.stringify(result.rows, null, 2));
    else if (result.rows.length === 0) console.log(own ? '(no rows)' : `runs: no runs recorded in ${db}`);
    else console.log(textTable(result));
    return 0;
  },
};
