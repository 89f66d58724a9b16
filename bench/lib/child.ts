import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url));

/**
 * Runs `script` in a fresh Node process (tfjs settles its backend and thread count once per process) and returns
 * the JSON object on the last stdout line. stderr passes through.
 */
export function runChild<T>(script: string, args: string[], env: Record<string, string> = {}, timeoutMs = 600_000): T {
  const r = spawnSync(process.execPath, [RUN_TS, script, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    throw new Error(`${script} ${args.join(' ')} failed (exit ${r.status ?? r.signal}): ${r.stdout.slice(-500)}`);
  }
  return JSON.parse(last) as T;
}
