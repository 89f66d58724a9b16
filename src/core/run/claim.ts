import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Experiment } from '../config/experiment';
import { UserError } from '../errors';
import { RUN_FILES } from './layout';
import { peekRunConfig, isRunDir } from './record';
import { readRunJson } from './run-json';
import { checkRunId, formatRunId, utcStamp } from './run-id';

/** JSON with object keys sorted: two configs compare equal when they hold the same values. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );
}

/** Dotted paths where two JSON values differ (at most `max`). */
export function configDifferences(a: unknown, b: unknown, path = '', out: string[] = [], max = 3): string[] {
  if (out.length >= max) return out;
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      configDifferences(a[k], b[k], path ? `${path}.${k}` : k, out, max);
  } else if (canonicalJson(a) !== canonicalJson(b)) out.push(path || '(all)');
  return out;
}

/** Creates `dir` (not its parents) and says whether it was created now: the atomic claim of a run id. */
function claim(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export interface ClaimedRunDir {
  runId: string;
  runDir: string;
  /** false: the folder existed (empty, made by the user). */
  claimed: boolean;
  /** The first parent folder this claim created, if any: removed again with a run that fails before its first step. */
  created?: string;
}

/**
 * The run directory of a fresh run, claimed atomically. The default id is `<experiment>--<UTC second>--s<seed>`;
 * when another run took it (two runs started in the same second), `-2`, `-3`, … follow the second: runs never share
 * a folder and never wait for each other. An explicit id that holds a run is refused, with --resume advised only
 * when that run is of this same experiment and config.
 */
export function claimRunDir(parent: string, e: Experiment, runId: string | undefined): ClaimedRunDir {
  if (runId !== undefined) checkRunId(runId);
  const created = mkdirSync(parent, { recursive: true });
  if (runId === undefined) {
    const stamp = utcStamp();
    for (let k = 1; ; k++) {
      const id = formatRunId(e.id, k === 1 ? stamp : `${stamp}-${k}`, e.seed);
      if (claim(join(parent, id))) return { runId: id, runDir: join(parent, id), claimed: true, created };
    }
  }
  const runDir = resolve(parent, runId);
  if (claim(runDir)) return { runId, runDir, claimed: true, created };
  if (!isRunDir(runDir)) return { runId, runDir, claimed: false }; // a folder the user made
  const theirs = peekRunConfig(runDir);
  const mine = JSON.parse(JSON.stringify(e)) as unknown;
  const prev = readRunJson(runDir);
  const other = 'choose another --run-id, or leave --run-id out for a fresh one';
  if (theirs !== undefined && canonicalJson(theirs) === canonicalJson(mine)) {
    const same = `already holds ${prev?.status === 'finished' ? 'a finished run' : 'a run'} of this experiment ('${e.id}', same config)`;
    if (prev?.status === 'finished') throw new UserError(`--run-id ${runId}: ${runDir} ${same}; ${other}`);
    const at = prev ? ` (${prev.status} at step ${prev.globalStep} of ${prev.totalSteps})` : '';
    throw new UserError(
      `--run-id ${runId}: ${runDir} ${same}${at}; continue it with 'unir run --resume ${runDir}', or ${other}`,
    );
  }
  const t = theirs as { id?: unknown; seed?: unknown } | undefined;
  const what = t
    ? `experiment '${String(t.id)}', seed ${String(t.seed)}; differs in ${configDifferences(theirs, mine).join(', ')}`
    : `no readable ${RUN_FILES.config}`;
  throw new UserError(`--run-id ${runId}: ${runDir} already holds another run (${what}); ${other}`);
}

/** Removes a run directory that holds nothing worth keeping, and the empty folders its claim created above it. */
export function removeRunDir(runDir: string, created: string | undefined): void {
  rmSync(runDir, { recursive: true, force: true });
  if (!created) return;
  for (let d = dirname(runDir); d.length >= created.length && d.startsWith(created); d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty: something else lives there
    }
  }
}
