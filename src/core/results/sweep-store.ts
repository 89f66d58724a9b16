import { join, resolve } from 'node:path';
import { recordRunDir, queryRuns } from '../store/store';
import { isRunFinished } from '../run/record';
import type { SweepReport } from '../sweep/sweep-report';
import type { Trial } from '../sweep/sweep';
import type { HeadlineMetric } from '../eval/headline';

/** Final metrics in the sweep table: [column, task, metric] at language 'mean' (macro mean over languages): the
 * metric plugins' headlines, and t2i MRR. */
const tableMetrics = (heads: readonly HeadlineMetric[]): [string, string, string][] => [
  ...heads.filter((h) => h.language === 'mean').map((h): [string, string, string] => [h.label, h.task, h.metric]),
  ['t2i mrr', 't2i', 'mrr'],
];

const sqlStr = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Records every finished trial's run directory in the store (replacing earlier rows of the same run), so the
 * store holds the sweep even where the run engine did not record a run. Returns the run ids recorded.
 */
export async function recordTrials(dbPath: string, trials: Trial[], runsDir: string): Promise<string[]> {
  const done = trials.filter((t) => isRunFinished(join(resolve(runsDir), t.runId)));
  for (const t of done) await recordRunDir(dbPath, join(resolve(runsDir), t.runId));
  return done.map((t) => t.runId);
}

/** The sweep's sortable table, read from the store: one row per finished trial, its point, seed and final metrics. */
export async function sweepTable(
  dbPath: string,
  trials: Trial[],
  runIds: string[],
  heads: readonly HeadlineMetric[],
): Promise<SweepReport['table']> {
  const TABLE_METRICS = tableMetrics(heads);
  const params = [...new Set(trials.flatMap((t) => Object.keys(t.point)))];
  const columns = ['run', ...params.map((p) => p.split('.').pop()!), 'seed', ...TABLE_METRICS.map(([c]) => c)];
  if (runIds.length === 0) return { columns, rows: [] };
  const q = await queryRuns(
    dbPath,
    `SELECT run_id, task, metric, value FROM metrics WHERE stage = 'final' AND language = 'mean' AND run_id IN (${runIds.map(sqlStr).join(', ')})`,
  );
  const byRun = new Map<string, Map<string, number>>();
  for (const r of q.rows) {
    const m = byRun.get(r.run_id as string) ?? new Map<string, number>();
    m.set(`${r.task}/${r.metric}`, r.value as number);
    byRun.set(r.run_id as string, m);
  }
  const rows = trials
    .filter((t) => byRun.has(t.runId))
    .map((t) => {
      const m = byRun.get(t.runId)!;
      const pv = params.map((p) => {
        const v = t.point[p];
        return v === undefined ? null : typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v);
      });
      return [t.runId, ...pv, t.seed, ...TABLE_METRICS.map(([, task, metric]) => m.get(`${task}/${metric}`) ?? null)];
    });
  return { columns, rows };
}
