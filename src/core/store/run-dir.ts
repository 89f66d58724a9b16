import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { readMetricsJson } from '../eval/metrics-file';
import { parseHistory } from '../report/run-record';
import type { StoreRun } from './rows';

function readJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message.split('\n')[0]}); fix or remove it`);
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);
const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/**
 * A run directory as the store records it: metrics.json (required, validated), run.json (status, backend,
 * threads, gitSha, startedAt, finishedAt; top level or under `env`), config.json, history.jsonl.
 */
export function runFromDir(runDir: string): StoreRun {
  const metrics = readMetricsJson(runDir);
  const run = readJson(join(runDir, 'run.json'));
  const env = (run.env && typeof run.env === 'object' ? run.env : {}) as Record<string, unknown>;
  const historyPath = join(runDir, 'history.jsonl');
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
    config: readJson(join(runDir, 'config.json')),
    metrics: { stages: metrics.stages, final: metrics.final },
    history: existsSync(historyPath) ? parseHistory(readFileSync(historyPath, 'utf8'), historyPath) : [],
  };
}
