import { join, resolve } from 'node:path';

/**
 * The files of a run folder (runs/<runId>/). Only src/core/run reads and writes config.json, run.json,
 * metrics.json and history.jsonl; other modules take their paths from here.
 */
export const RUN_FILES = {
  /** The resolved experiment the run trains (plugins and modules included). */
  config: 'config.json',
  /** What ran where, and how it ended (RunJson). */
  run: 'run.json',
  /** Stage and final metrics (docs/metrics-json.md). */
  metrics: 'metrics.json',
  /** One JSON line per logged step (the history-jsonl observer). */
  history: 'history.jsonl',
  /** pid + host of the process training the run. */
  lock: 'run.lock',
  checkpoints: 'checkpoints',
  /** <split>.f32 + <split>.json: the evaluated split's embeddings. */
  embeddings: 'embeddings',
  /** <split>.json: per-query outcomes. */
  outcomes: 'outcomes',
  /** <plugin>-<split>/: built search indexes. */
  index: 'index',
  reportHtml: 'report.html',
  reportMd: 'report.md',
  reportJson: 'report.json',
} as const;

export type RunFile = keyof typeof RUN_FILES;

/** The absolute path of one of a run folder's files. */
export const runFile = (runDir: string, file: RunFile) => join(resolve(runDir), RUN_FILES[file]);
