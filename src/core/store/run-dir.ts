import { loadRunRecord, type RunRecord } from '../run/record';
import type { StoreRun } from './rows';

const str = (v: unknown) => (typeof v === 'string' ? v : null);
const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/** A run record as the store keeps it (run.json fields at the top level or, in older runs, under `env`). */
export function storeRunOf(r: RunRecord): StoreRun {
  const { run, metrics } = r;
  const env = (run.env && typeof run.env === 'object' ? run.env : {}) as Record<string, unknown>;
  return {
    runId: metrics.runId,
    experiment: metrics.experiment,
    status: str(run.status) ?? 'finished',
    backend: str(run.backend) ?? str(env.backend) ?? metrics.backend,
    threads: int(run.threads) ?? int(env.threads),
    seed: metrics.seed,
    startedAt: str(run.startedAt) ?? str(env.startedAt),
    finishedAt: str(run.finishedAt) ?? str(env.finishedAt),
    durationSec: typeof run.durationSec === 'number' ? run.durationSec : null,
    gitSha: str(run.gitSha) ?? str(env.gitSha),
    config: r.config,
    metrics: { stages: metrics.stages, final: metrics.final },
    history: r.history,
  };
}

/** A run directory as the store records it (read by loadRunRecord, the one reader of run folders). */
export const runFromDir = (runDir: string): StoreRun => storeRunOf(loadRunRecord(runDir));
