import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { readMetricsJson } from '../eval/metrics-file';
import type { MetricsFile } from '../eval/metrics-schema';

export type { Metrics, MetricsFile } from '../eval/metrics-schema';

/** One history.jsonl row: stage, step counters, lr, throughput and named loss terms. */
export interface HistoryRow {
  stage: string;
  step: number;
  globalStep: number;
  losses: Record<string, number>;
  lr?: number;
  samplesPerSec?: number;
}

const HISTORY_META = new Set(['stage', 'step', 'globalStep', 'lr', 'time', 'samplesPerSec', 'elapsed', 'epoch', 'losses', 'type']);

/** Everything a report is made from, read from a run directory. */
export interface RunRecord {
  dir: string;
  runId: string;
  metrics: MetricsFile;
  config: Record<string, unknown>;
  run: Record<string, unknown>;
  history: HistoryRow[];
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: cannot read ${what} (${(e as Error).message.split('\n')[0]}); re-run the experiment or 'unir report' on a finished run`);
  }
}

export function parseHistory(text: string, file = 'history.jsonl'): HistoryRow[] {
  const rows: HistoryRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      // A run killed mid-write leaves at most a torn last line: skip it, it is re-logged on resume.
      return;
    }
    if (typeof o.stage !== 'string' || typeof o.step !== 'number') return;
    const losses: Record<string, number> = {};
    const src = (typeof o.losses === 'object' && o.losses !== null ? o.losses : o) as Record<string, unknown>;
    for (const [k, v] of Object.entries(src)) if (typeof v === 'number' && !HISTORY_META.has(k)) losses[k] = v;
    rows.push({
      stage: o.stage,
      step: o.step,
      globalStep: typeof o.globalStep === 'number' ? o.globalStep : i,
      losses,
      lr: typeof o.lr === 'number' ? o.lr : undefined,
      samplesPerSec: typeof o.samplesPerSec === 'number' ? o.samplesPerSec : undefined,
    });
  });
  void file;
  return rows;
}

/** Reads a finished run directory; a directory without metrics.json is a one-line UserError. */
export function loadRunRecord(runDir: string): RunRecord {
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw new UserError(`${runDir}: no such run directory; list runs with 'unir runs'`);
  const metrics = readMetricsJson(dir);
  const configPath = join(dir, 'config.json');
  const runPath = join(dir, 'run.json');
  const historyPath = join(dir, 'history.jsonl');
  return {
    dir,
    runId: metrics.runId ?? basename(dir),
    metrics,
    config: existsSync(configPath) ? (readJson(configPath, 'config') as Record<string, unknown>) : {},
    run: existsSync(runPath) ? (readJson(runPath, 'run record') as Record<string, unknown>) : {},
    history: existsSync(historyPath) ? parseHistory(readFileSync(historyPath, 'utf8'), historyPath) : [],
  };
}
