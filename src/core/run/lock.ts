import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { UserError } from '../errors';
import { runFile } from './layout';

/** Whether a process with this pid exists on this host (EPERM: it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockHolder {
  pid?: number;
  host?: string;
  since?: string;
}

/** The pid of the live process on this host that holds the run's lock, if any. */
export function runLockHolder(runDir: string): number | undefined {
  let h: LockHolder;
  try {
    h = JSON.parse(readFileSync(runFile(runDir, 'lock'), 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
  return h.host === hostname() && typeof h.pid === 'number' && isProcessAlive(h.pid) ? h.pid : undefined;
}

/**
 * Marks a run directory as in use by this process (run.lock: pid, host, since), so that a second `unir run
 * --resume` cannot train the same run at the same time. A lock whose process is gone (kill -9) is taken
 * over. Returns the release function.
 */
export function lockRun(runDir: string): () => void {
  const path = runFile(runDir, 'lock');
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: LockHolder = {};
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
      } catch {
        // torn or empty: treat as stale
      }
      const alive = holder.host === hostname() && typeof holder.pid === 'number' && isProcessAlive(holder.pid);
      if (alive)
        throw new UserError(
          `${runDir}: in use by process ${holder.pid} since ${holder.since}; wait for it, or stop it first`,
        );
      rmSync(path, { force: true });
    }
  }
  throw new UserError(
    `${runDir}: could not lock the run directory (run.lock keeps reappearing); is another unir process starting it?`,
  );
}
