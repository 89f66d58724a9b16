import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { repoPath } from '../paths';
import { isRunDir, isRunFinished } from '../run/record';
import type { Trial } from './sweep';

const UNIR_BIN = repoPath('bin/unir.mjs');

/** A trial is finished when its run folder says so (src/core/run). */
export const trialFinished = (runsDir: string, runId: string): boolean => isRunFinished(join(runsDir, runId));

export interface SweepRunOptions {
  base: string;
  runsDir: string;
  parallel?: number;
  /** Extra args for every `unir run` (e.g. --backend). */
  extraArgs?: string[];
  /** Plugin modules every trial imports (`--plugin`, absolute paths or packages). */
  plugins?: readonly string[];
  log?: (line: string) => void;
}

export interface TrialOutcome {
  trial: Trial;
  status: 'skipped' | 'finished' | 'failed';
  code?: number | null;
  lastLines?: string;
}

/** `unir run` arguments of one trial: resumes a trial that started but did not finish. */
export function trialArgs(t: Trial, o: SweepRunOptions): string[] {
  const dir = join(o.runsDir, t.runId);
  // config.json is written before anything else: a trial killed before its first checkpoint resumes too.
  const args = isRunDir(dir)
    ? ['run', '--resume', dir]
    : [
        'run',
        o.base,
        '--seed',
        String(t.seed),
        '--run-id',
        t.runId,
        '--out',
        o.runsDir,
        ...Object.entries(t.overrides).flatMap(([p, v]) => [
          '--set',
          `${p}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
        ]),
      ];
  return [...args, ...(o.plugins ?? []).flatMap((p) => ['--plugin', p]), ...(o.extraArgs ?? [])];
}

function runChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  prefix: string,
  log: (l: string) => void,
): Promise<{ code: number | null; tail: string }> {
  return new Promise((resolveP) => {
    const child = spawn(process.execPath, [UNIR_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (buf: Buffer) => {
      for (const line of buf.toString('utf8').split(/[\r\n]+/)) {
        if (!line.trim()) continue;
        log(`${prefix} ${line}`);
        tail.push(line);
        if (tail.length > 5) tail.shift();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => resolveP({ code, tail: tail.join('\n') }));
  });
}

/**
 * Runs the trials as ordinary `unir run` processes, `parallel` at a time (threads split between them),
 * skipping finished ones — so an interrupted sweep resumes where it stopped.
 */
export async function runTrials(trials: Trial[], o: SweepRunOptions): Promise<TrialOutcome[]> {
  const log = o.log ?? ((l: string) => console.log(l));
  const runsDir = resolve(o.runsDir);
  const parallel = Math.max(1, o.parallel ?? 1);
  const threads = Math.max(1, Math.floor(availableParallelism() / parallel));
  const outcomes: TrialOutcome[] = new Array(trials.length);
  let next = 0;
  const todo = trials.filter((t) => !trialFinished(runsDir, t.runId)).length;
  log(
    `sweep: ${trials.length} trials, ${trials.length - todo} already finished, ${todo} to run, ${parallel} at a time`,
  );
  let started = 0;
  // Seed by seed (every point at seed 1, then at seed 2, ...): a sweep stopped early still compares all points.
  const seedRank = new Map([...new Set(trials.map((t) => t.seed))].map((s, k) => [s, k]));
  const order = trials
    .map((_, i) => i)
    .sort((a, b) => seedRank.get(trials[a]!.seed)! - seedRank.get(trials[b]!.seed)! || a - b);
  const worker = async () => {
    while (next < trials.length) {
      const i = order[next++]!;
      const t = trials[i]!;
      if (trialFinished(runsDir, t.runId)) {
        outcomes[i] = { trial: t, status: 'skipped' };
        continue;
      }
      started++;
      log(`sweep: [${started}/${todo}] ${t.runId}`);
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (parallel > 1) env.UNIR_WASM_THREADS = String(threads);
      const r = await runChild(trialArgs(t, { ...o, runsDir }), env, parallel > 1 ? `  [${t.runId}]` : ' ', log);
      outcomes[i] = {
        trial: t,
        status: r.code === 0 && trialFinished(runsDir, t.runId) ? 'finished' : 'failed',
        code: r.code,
        lastLines: r.tail,
      };
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return outcomes;
}
