import {
  closeSync,
  existsSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { UserError } from '../errors';

export interface LockOptions {
  /** Give up after this long (default 120 s). */
  timeoutMs?: number;
  /** A lock older than this is stale even if its process seems alive (default 10 min). */
  staleMs?: number;
  /** First retry delay; doubles up to 250 ms, with jitter (default 5 ms). */
  pollMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  since: number; // ms since epoch
  token: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    return typeof h.pid === 'number' && typeof h.token === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists on this host (EPERM: it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stale: its process is gone (same host), it is older than staleMs, or it stayed unreadable for 5 s (a torn write). */
function isStale(path: string, h: Holder | undefined, staleMs: number): boolean {
  const now = Date.now();
  if (!h) {
    try {
      return now - statSync(path).mtimeMs > 5000;
    } catch {
      return false; // gone already: just retry
    }
  }
  return (h.host === hostname() && !isProcessAlive(h.pid)) || now - h.since > staleMs;
}

/**
 * Breaks a stale lock: rename it aside (atomic, so only one breaker wins), then make sure what was renamed
 * is the stale lock we judged; if a live holder's fresh lock was renamed in a race, put it back.
 */
function breakStale(path: string, judged: Holder | undefined): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else broke or released it
  }
  const got = readHolder(aside);
  if (got && got.token !== judged?.token) {
    try {
      linkSync(aside, path);
    } catch {
      /* a newer lock exists already */
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    /* removed by another breaker */
  }
}

/**
 * Runs `fn` holding an exclusive lock file (created with O_EXCL; retried with backoff; stale locks of dead
 * processes are broken). Used around every open-use-close of the DuckDB run store, because DuckDB allows
 * one process at a time on a database file.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const staleMs = opts.staleMs ?? 600_000;
  const me: Holder = { pid: process.pid, host: hostname(), since: Date.now(), token: randomBytes(8).toString('hex') };
  const start = Date.now();
  let delay = opts.pollMs ?? 5;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, JSON.stringify({ ...me, since: Date.now() }));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readHolder(path);
    if (isStale(path, holder, staleMs)) {
      breakStale(path, holder);
      continue;
    }
    if (Date.now() - start > timeoutMs) {
      const who = holder
        ? `pid ${holder.pid} on ${holder.host} since ${new Date(holder.since).toISOString()}`
        : 'another process';
      throw new UserError(
        `${path}: the run store is locked by ${who}; wait for it to finish, or delete the lock file if that process is gone`,
      );
    }
    await sleep(delay * (0.5 + Math.random()));
    delay = Math.min(delay * 2, 250);
  }
  try {
    return await fn();
  } finally {
    // release only our own lock (if ours was broken as stale, the file is someone else's now)
    if (existsSync(path) && readHolder(path)?.token === me.token) {
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
    }
  }
}
