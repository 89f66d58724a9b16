import { queryRuns } from '../store/store';

/** A sweep trial's run id: `<sweep-id>--<point slug>--s<seed>` (see expandSweep). */
export const SWEEP_RUN_ID = /^([a-z0-9][a-z0-9-]*?)--(.+)--s(\d+)$/;

export interface TrialRow {
  runId: string;
  sweep: string;
  arm: string;
  seed: number;
  wallSec: number | undefined;
  /** `${stage}/${task}/${language}/${metric}` → value; stage 'final' is the test split. */
  values: Map<string, number>;
  /** Stage names in training order (from the metrics rows: final last). */
  stages: string[];
}

export interface SweepRows {
  sweep: string;
  /** Arms in first-seen order of the run ids (sorted). */
  arms: string[];
  trials: TrialRow[];
}

export const key = (stage: string, task: string, language: string, metric: string) =>
  `${stage}/${task}/${language}/${metric}`;

/** Every finished sweep trial in the store, grouped by sweep id and arm (the point slug of the run id). */
export async function collectSweeps(dbPath: string): Promise<SweepRows[]> {
  const runs = await queryRuns(
    dbPath,
    `SELECT run_id, seed, coalesce(duration_sec, epoch(finished_at) - epoch(started_at)) AS wall FROM runs WHERE status = 'finished' AND run_id LIKE '%--%--s%' ORDER BY run_id`,
  );
  const trials = new Map<string, TrialRow>();
  for (const r of runs.rows) {
    const m = SWEEP_RUN_ID.exec(r.run_id as string);
    if (!m) continue;
    trials.set(m[0], {
      runId: m[0],
      sweep: m[1]!,
      arm: m[2]!,
      seed: Number(m[3]),
      wallSec: typeof r.wall === 'number' ? r.wall : undefined,
      values: new Map(),
      stages: [],
    });
  }
  if (trials.size) {
    const rows = await queryRuns(
      dbPath,
      `SELECT m.run_id, m.stage, m.task, m.language, m.metric, m.value FROM metrics m JOIN runs r USING (run_id)
       WHERE r.status = 'finished' AND r.run_id LIKE '%--%--s%' AND m.metric IN ('R@10', 'intentAccuracy', 'slotF1')
         AND (m.task IN ('t2i', 'i2t', 't2t', 'q2i', 'nlu') OR (m.stage = 'final' AND (m.task LIKE '%@%' OR m.task IN ('t2t#held-out', 'nlu#held-out'))))
         ORDER BY m.run_id, m.rowid`,
    );
    for (const r of rows.rows) {
      const t = trials.get(r.run_id as string);
      if (!t) continue;
      const stage = r.stage as string;
      if (!t.stages.includes(stage)) t.stages.push(stage);
      t.values.set(key(stage, r.task as string, r.language as string, r.metric as string), r.value as number);
    }
  }
  const bySweep = new Map<string, SweepRows>();
  for (const t of trials.values()) {
    const s = bySweep.get(t.sweep) ?? { sweep: t.sweep, arms: [], trials: [] };
    if (!s.arms.includes(t.arm)) s.arms.push(t.arm);
    s.trials.push(t);
    bySweep.set(t.sweep, s);
  }
  return [...bySweep.values()].sort((a, b) => a.sweep.localeCompare(b.sweep));
}
