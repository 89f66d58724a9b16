import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { formatZodError } from '../registry/registry';
import { MetricsFileSchema, type MetricsFile } from './metrics-schema';

export const METRICS_FILE = 'metrics.json';

/** Validates and writes runDir/metrics.json atomically (temp file + rename). Invalid content throws, writing nothing. */
export function writeMetricsJson(runDir: string, obj: MetricsFile): string {
  const path = join(runDir, METRICS_FILE);
  const r = MetricsFileSchema.safeParse(obj);
  if (!r.success) throw new Error(`${path}: refusing to write invalid metrics: ${formatZodError(r.error)}`);
  writeFileAtomic(path, `${JSON.stringify(r.data, null, 2)}\n`);
  return path;
}

/** Reads and validates runDir/metrics.json; a missing, unreadable or invalid file is a one-line UserError. */
export function readMetricsJson(runDir: string): MetricsFile {
  const path = join(runDir, METRICS_FILE);
  if (!existsSync(path)) {
    throw new UserError(`${path}: missing; this run has no metrics (unfinished?) — finish it with 'unir run --resume ${runDir}'`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message.split('\n')[0]}); re-run the evaluation or restore the file`);
  }
  const r = MetricsFileSchema.safeParse(raw);
  if (!r.success) throw new UserError(`${path}: ${formatZodError(r.error)}; see docs/metrics-json.md`);
  return r.data;
}
