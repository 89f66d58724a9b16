import { spawnSync } from 'node:child_process';

/** Runs the real CLI in a child process, as a user would. */
export function unir(args: string[], env: Record<string, string> = {}, timeout = 300_000) {
  const r = spawnSync(process.execPath, ['bin/unir.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
