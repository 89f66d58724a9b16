import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Preloaded into the child: it stops itself right after logging `globalStep` (stop-at-step.mjs). */
const STOP_AT = new URL('./stop-at-step.mjs', import.meta.url).href;

/**
 * Starts `unir <args>` and SIGKILLs it (a crash, not a clean stop) once the run's history.jsonl reaches
 * `globalStep`. The child stops itself right after writing that step's row, so the kill lands at exactly that step
 * on a busy machine too (polling alone let a fast smoke run race several steps past it). Resolves with whether it
 * was killed and the last global step it had logged.
 */
export function runAndKill(
  args: string[],
  historyPath: string,
  globalStep: number,
  env: Record<string, string> = {},
): Promise<{ killed: boolean; reached: number }> {
  return new Promise((resolveP, reject) => {
    const child = spawn(process.execPath, ['--import', STOP_AT, 'bin/unir.mjs', ...args], {
      stdio: 'ignore',
      env: { ...process.env, ...env, UNIR_TEST_STOP_AT: String(globalStep) },
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
