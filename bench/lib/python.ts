import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

/**
 * Runs a bench reference script with Debian's /usr/bin/python3 on `blasThreads` OpenBLAS threads, with
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for its command only (FACTS.md: Debian's OpenBLAS is otherwise told this
 * CPU is an old SSE3 one, ≈ 3× slower). stdout is returned; stderr passes through unless `quiet`.
 */
export function runPython(
  script: string,
  args: string[],
  blasThreads: number,
  quiet = false,
): SpawnSyncReturns<string> {
  return spawnSync(
    'env',
    [
      '-u',
      'OPENBLAS_CORETYPE',
      '-u',
      'OPENBLAS_L2_SIZE',
      `OPENBLAS_NUM_THREADS=${blasThreads}`,
      '/usr/bin/python3',
      script,
      ...args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'], timeout: 600_000 },
  );
}
