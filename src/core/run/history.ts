import { existsSync, readFileSync } from 'node:fs';

/** One history.jsonl row: stage, step counters, lr, throughput and named loss terms. */
export interface HistoryRow {
  stage: string;
  step: number;
  globalStep: number;
  losses: Record<string, number>;
  lr?: number;
  samplesPerSec?: number;
}

const HISTORY_META = new Set([
  'stage',
  'step',
  'globalStep',
  'lr',
  'time',
  'samplesPerSec',
  'elapsed',
  'epoch',
  'losses',
  'type',
]);

/** history.jsonl's rows; a torn last line (a run killed mid-write, re-logged on resume) is skipped. */
export function parseHistory(text: string): HistoryRow[] {
  const rows: HistoryRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
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
  return rows;
}

/** A history file's rows ([] when there is none). */
export const readHistory = (path: string): HistoryRow[] =>
  existsSync(path) ? parseHistory(readFileSync(path, 'utf8')) : [];
