import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Starts `unir <args>` and SIGKILLs it (a crash, not a clean stop) once the run's history.jsonl reaches
 * `globalStep`. Resolves with whether it was killed and the last global step it had logged.
 */
export function runAndKill(
  args: string[],
  historyPath: string,
  globalStep: number,
  env: Record<string, string> = {},
): Promise<{ killed: boolean; reached: number }> {
  return new Promise((resolveP, reject) => {
    const child = spawn(process.execPath, ['bin/unir.mjs', ...args], {
      stdio: 'ignore',
      env: { ...process.env, ...env },
    });
    let reached = 0;
    const timer = setInterval(() => {
      if (!existsSync(historyPath)) return;
      const lines = readFileSync(historyPath, 'utf8').trim().split('\n');
      try {
        reached = (JSON.parse(lines[lines.length - 1]!) as { globalStep: number }).globalStep;
      } catch {
        return; // a line being written
      }
      if (reached >= globalStep) {
        clearInterval(timer);
        child.kill('SIGKILL');
      }
    }, 5);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearInterval(timer);
      resolveP({ killed: signal === 'SIGKILL', reached });
    });
  });
}
