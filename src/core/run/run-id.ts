import { createHash } from 'node:crypto';
import { UserError } from '../errors';

/** Characters a run id (a folder name) may use. */
export const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._=-]*$/;

/** Longest generated run id; a longer one keeps its start and ends in a hash of the whole, so it stays unique. */
export const RUN_ID_MAX = 120;

/** UTC time to the second, e.g. 20260105-141502: the variant of a one-off run. */
export const utcStamp = (d = new Date()) => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/**
 * The one run-id format, `<name>--<variant>--s<seed>`: name = the experiment's or sweep's id; variant = what sets
 * the run apart (a sweep point's or notebook call's override slug, 'base' without overrides, a one-off CLI run's
 * UTC start second); seed = the experiment seed. Sweep trials have always used it
 * (`alpha-sweep--alpha=0.5--s1`); ids over RUN_ID_MAX characters are cut and end in 8 hex digits of a SHA-1.
 */
export function formatRunId(name: string, variant: string, seed: number): string {
  const id = `${name}--${variant || 'base'}--s${seed}`.replace(/[^A-Za-z0-9=._-]+/g, '_');
  return shortenRunId(id);
}

/** `id` if it fits RUN_ID_MAX, else its first characters and 8 hex digits of its SHA-1. */
export function shortenRunId(id: string): string {
  if (id.length <= RUN_ID_MAX) return id;
  return `${id.slice(0, RUN_ID_MAX - 9)}-${createHash('sha1').update(id).digest('hex').slice(0, 8)}`;
}

/** The parts of an id in the run-id format, or undefined for another name (a --run-id the user chose). */
export function parseRunId(id: string): { name: string; variant: string; seed: number } | undefined {
  const m = /^(.+?)--(.+)--s(\d+)$/.exec(id);
  return m ? { name: m[1]!, variant: m[2]!, seed: Number(m[3]) } : undefined;
}

/** A --run-id the user gave: one line naming the allowed characters otherwise. */
export function checkRunId(runId: string): string {
  if (!RUN_ID_RE.test(runId)) throw new UserError(`--run-id '${runId}': use letters, digits and . _ = - only`);
  return runId;
}
