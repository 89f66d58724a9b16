import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRuns } from '../../src/core/store/store';
import { unir } from '../helpers/cli';

// `unir sweep --executor slurm` on a real Slurm cluster: the one-node cluster of scripts/slurm-cluster.sh, which
// .ci/run starts before the tests. This machine is the login node and the compute node, and the runs folder
// (a temporary folder) is the shared filesystem.

const tmp = mkdtempSync(join(tmpdir(), 'unir-slurm-cli-'));
// unique per test process: the job name (unir-<sweep id>) tells this file's jobs from any other's on the cluster
const id = `cluster${process.pid}`;
let submitted = false;
afterAll(() => {
  if (submitted) spawnSync('scancel', [`--name=unir-${id}`], { timeout: 30_000 }); // nothing left queued if the test failed half-way
  rmSync(tmp, { recursive: true, force: true });
});

// 2 points × 2 seeds of smoke, shrunk to 4 steps on 8 concepts (as test/cli/sweep.test.ts): 4 trials.
const file = join(tmp, 'cluster.json');
writeFileSync(
  file,
  JSON.stringify({
    id,
    question: 'does a sweep on Slurm end with the numbers of the same sweep on one machine?',
    base: 'smoke',
    params: { 'optimizer.lr': [0.003, 0.001] },
    seeds: [1, 2],
    fixed: {
      'curriculum.steps': { stage1: 2, stage2: 1, stage3: 1 },
      'data.batchSize': 8,
      'data.maxGroups': { train: 8, val: 4, test: 4 },
      checkpointEvery: 1,
    },
  }),
);
const runIds = [0.003, 0.001].flatMap((lr) => [1, 2].map((s) => `${id}--lr=${lr}--s${s}`));
// one wasm thread per trial under both executors, so the two compute the same sums in the same order
const env = { UNIR_WASM_THREADS: '1' };
const slurmRuns = join(tmp, 'slurm-runs');
const slurmArgs = [
  'sweep',
  file,
  '--executor',
  'slurm',
  '--cpus-per-task',
  '1',
  '--out',
  slurmRuns,
  '--db',
  join(tmp, 'slurm.duckdb'),
  '--report',
  join(tmp, 'slurm-report'),
];
const status = () => unir(['sweep', file, '--status', '--out', slurmRuns], env);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The test fails (never skips) without a live cluster, and says how to start one. */
function requireCluster(): void {
  const r = spawnSync('bash', ['scripts/slurm-cluster.sh', 'status'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      "no Slurm cluster is running here (scripts/slurm-cluster.sh status failed): start the one-node cluster with 'bash scripts/slurm-cluster.sh start' as root ('bash scripts/slurm-cluster.sh install' first on a fresh machine; .ci/run does both)",
    );
  }
}

/** Polls `cond` every `everyMs` until it returns a value, failing with `what` after `timeoutMs`. */
async function until<T>(what: string, cond: () => T | undefined, timeoutMs: number, everyMs = 200): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(everyMs)) {
    const v = cond();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out after ${secs(timeoutMs)} waiting for ${what}\n${status().stdout}`);
}

/** The pid of the `unir sweep-task` process of array task <jobId>_<index> (this node runs every task). */
function taskPid(jobId: string, index: number): number | undefined {
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (!cmd.includes('sweep-task') || !cmd.some((a) => a.startsWith(slurmRuns))) continue;
      const e = readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      if (e.includes(`SLURM_ARRAY_JOB_ID=${jobId}`) && e.includes(`SLURM_ARRAY_TASK_ID=${index}`)) return Number(p);
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
/** Global steps in a run's history.jsonl so far (a line still being written is not counted). */
const historySteps = (runDir: string): number[] => {
  const f = join(runDir, 'history.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return [(JSON.parse(l) as { globalStep: number }).globalStep];
      } catch {
        return [];
      }
    });
};
interface RunJson {
  status: string;
  globalStep: number;
  resumes: { fromStep: number }[];
  slurm?: { jobId: string; taskId?: string };
}

describe('unir sweep --executor slurm', () => {
  it('no sbatch on PATH: one line naming the fix, a non-zero exit, nothing written or submitted', () => {
    const empty = join(tmp, 'empty-bin');
    mkdirSync(empty);
    const out = join(tmp, 'nosbatch-runs');
    // node is started by its absolute path; PATH holds only an empty folder
    const r = unir(['sweep', file, '--executor', 'slurm', '--out', out, '--db', join(tmp, 'nosbatch.duckdb')], {
      PATH: empty,
    });
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^unir: no 'sbatch' on PATH: run this on a Slurm login node, or install slurm-client there .*--executor local runs the sweep on this machine$/,
    );
    expect(r.stdout).not.toMatch(/submitted/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(tmp, 'nosbatch.duckdb'))).toBe(false);
  });

  it("a 2×2 sweep: one task cancelled mid-run, submitted again, every trial finishes with the local executor's metrics", async () => {
    requireCluster();
    const t0 = Date.now();
    const timings: string[] = [];

    // 1. submit: one job array of 4 tasks
    submitted = true;
    const first = unir(slurmArgs, env);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const job1 = /submitted job array (\d+) \(4 tasks\); 0 already queued, 0 finished/.exec(first.stdout)?.[1];
    expect(job1, first.stdout).toBeDefined();
    timings.push(`submitted job array ${job1} (4 tasks): ${secs(Date.now() - t0)}`);

    // 2. cancel task 0 mid-training. Its process is found while the trial sets up (data, model: seconds), then held
    // with SIGSTOP the moment its first step is in history.jsonl, so that the cancel lands between step 1 and the
    // end (4 steps take under a second) however loaded the machine; Slurm's cancel sends SIGCONT, then SIGTERM.
    const victim = runIds[0]!;
    const victimDir = join(slurmRuns, victim);
    const pid = await until(`the process of task ${job1}_0`, () => taskPid(job1!, 0), 300_000);
    await until(`step 1 of ${victim}`, () => (historySteps(victimDir).length ? true : undefined), 300_000, 5);
    process.kill(pid, 'SIGSTOP');
    const stoppedAt = historySteps(victimDir).length;
    const tCancel = Date.now();
    const cancel = spawnSync('scancel', [`${job1}_0`], { encoding: 'utf8' });
    if (cancel.status !== 0) process.kill(pid, 'SIGCONT');
    expect(cancel.status, cancel.stderr).toBe(0);
    expect(stoppedAt, `the trial was past step ${stoppedAt} when it was held`).toBeLessThan(4);
    timings.push(
      `task ${job1}_0 (${victim}) held after step ${stoppedAt} of 4 and cancelled: ${secs(tCancel - t0)} after submitting`,
    );

    // 3. --status: the cancelled trial is failed (not finished), with the step it stopped at and what to do
    const st = await until(
      `${victim} to leave the queue`,
      () => {
        const s = status();
        return new RegExp(`^ {2}failed +${victim} +${job1}_0 `, 'm').test(s.stdout) ? s : undefined;
      },
      120_000,
      500,
    );
    timings.push(`${victim} shown failed by --status: ${secs(Date.now() - tCancel)} after the cancel`);
    expect(st.code, st.stderr).toBe(0);
    const victimLine = st.stdout.split('\n').find((l) => l.includes(` ${victim} `))!;
    expect(victimLine).toMatch(
      /stopped at step [1-3] of 4 \(.*\); submitting again resumes it; log: .*\/logs\/\d+_0\.out$/,
    );
    expect(st.stdout).not.toMatch(/^ {2}4 finished$/m);
    const cancelledStatus = st.stdout;
    const record = readJson<{ status: string }>(join(slurmRuns, 'sweeps', id, 'slurm', 'tasks', `${job1}_0.json`));
    expect(record.status).toBe('interrupted');
    const stopped = readJson<RunJson>(join(victimDir, 'run.json'));
    expect(stopped.status).toBe('interrupted');
    expect(stopped.globalStep).toBeGreaterThanOrEqual(1);
    expect(stopped.globalStep).toBeLessThan(4);
    expect(readFileSync(join(slurmRuns, 'sweeps', id, 'slurm', 'logs', `${job1}_0.out`), 'utf8')).toContain(
      `unir sweep-task: SIGTERM: stopping ${victim} after this step (checkpoint follows)`,
    );
    timings.push(`the task checkpointed and stopped at step ${stopped.globalStep} of 4 on Slurm's SIGTERM`);

    // 4. submit again and wait: only the cancelled trial is submitted (the others are queued or finished)
    const tResubmit = Date.now();
    const again = unir([...slurmArgs, '--wait'], env, 600_000);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    const m = /submitted job array (\d+) \(1 task\); (\d) already queued, (\d) finished/.exec(again.stdout);
    expect(m, again.stdout).not.toBeNull();
    expect(Number(m![2]) + Number(m![3])).toBe(3);
    const job2 = m![1]!;
    expect(again.stdout).toMatch(/^ {2}4 finished$/m);
    expect(again.stdout).toContain('4 recorded in');
    timings.push(
      `resubmitted as job array ${job2} (1 task) and waited for all 4: ${secs(Date.now() - tResubmit)}; slurm sweep in all: ${secs(Date.now() - t0)}`,
    );

    // nothing submitted twice: two submissions, the second holding only the cancelled trial
    const subs = readFileSync(join(slurmRuns, 'sweeps', id, 'slurm', 'submissions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { jobId: string; runIds: string[] });
    expect(subs.map((s) => s.jobId)).toEqual([job1, job2]);
    expect(subs[0]!.runIds).toEqual(runIds);
    expect(subs[1]!.runIds).toEqual([victim]);
    // a third submission finds nothing to submit
    const third = unir(slurmArgs, env);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toContain(`sweep ${id}: nothing to submit (4 finished, 0 queued)`);

    // every trial finished; the cancelled one resumed once, from its checkpoint, in the second job; the others ran once
    for (const r of runIds) {
      const run = readJson<RunJson>(join(slurmRuns, r, 'run.json'));
      expect(run.status, r).toBe('finished');
      expect(run.globalStep, r).toBe(4);
      if (r === victim) {
        expect(run.resumes).toHaveLength(1);
        expect(run.resumes[0]!.fromStep).toBe(stopped.globalStep);
        expect(run.slurm?.jobId).toBe(job2);
        expect(historySteps(join(slurmRuns, r))).toEqual([1, 2, 3, 4]); // no step lost or repeated across the resume
      } else {
        expect(run.resumes, r).toEqual([]);
        expect(run.slurm?.jobId, r).toBe(job1);
      }
    }
    const final = status();
    expect(final.stdout).toMatch(/^ {2}4 finished$/m);
    // the run store holds each trial once
    const q = await queryRuns(
      join(tmp, 'slurm.duckdb'),
      'SELECT run_id, count(*) AS n FROM runs GROUP BY run_id ORDER BY run_id',
    );
    expect(q.rows.map((x) => [x.run_id, Number(x.n)])).toEqual([...runIds].sort().map((r) => [r, 1]));

    // 5. the same sweep with the local executor: identical metrics, trial by trial (the cancelled one included)
    const tLocal = Date.now();
    const localRuns = join(tmp, 'local-runs');
    const local = unir(
      ['sweep', file, '--out', localRuns, '--db', join(tmp, 'local.duckdb'), '--report', join(tmp, 'local-report')],
      env,
      600_000,
    );
    expect(local.code, local.stderr + local.stdout.slice(-2000)).toBe(0);
    expect(local.stdout).toContain(`sweep ${id}: 4 ran, 0 skipped (already finished), 0 failed; 4 recorded in`);
    timings.push(`the same sweep with --executor local: ${secs(Date.now() - tLocal)}`);
    for (const r of runIds) {
      const metrics = (dir: string) => readJson<Record<string, unknown>>(join(dir, r, 'metrics.json'));
      expect(metrics(slurmRuns), r).toEqual(metrics(localRuns));
    }

    console.log(
      `slurm.test timings:\n  ${timings.join('\n  ')}\n--status after the cancel:\n${cancelledStatus}--status at the end:\n${final.stdout}`,
    );
  }, 1_200_000);

  it("the notebook API's sweep({ executor: 'slurm' }) submits, waits and returns the table; a plugin module follows the trials to the cluster", async () => {
    requireCluster();
    const { sweep } = await import('../../src/notebook/api');
    const nbId = `${id}nb`;
    const runsDir = join(tmp, 'notebook-runs');
    const module = join(tmp, 'triplet-margin.mts'); // a plugin module outside the checkout (test/cli/plugin-module.test.ts)
    copyFileSync('test/fixtures/plugins/triplet-margin.mts', module);
    submitted = true;
    const out = await sweep(
      {
        id: nbId,
        question: 'the notebook path to the cluster',
        base: 'smoke',
        params: { 'curriculum.stages.stage1.terms.ti.loss': ['info-nce', 'triplet-margin'] },
        seeds: [1],
        fixed: {
          'curriculum.steps': { stage1: 2, stage2: 1, stage3: 1 },
          'data.batchSize': 8,
          'data.maxGroups': { train: 8, val: 4, test: 4 },
          checkpointEvery: 1,
        },
      },
      { executor: 'slurm', runsDir, slurm: { cpusPerTask: 1 }, plugins: [module] },
    );
    expect(out.outcomes.map((o) => o.status)).toEqual(['finished', 'finished']);
    const [builtin, custom] = out.table.rows.map((r) => r[0] as string);
    expect([builtin, custom]).toEqual([`${nbId}--loss=info-nce--s1`, `${nbId}--loss=triplet-margin--s1`]);
    expect(existsSync(out.html)).toBe(true);
    // the built-in arm is the previous test's local lr=0.003 trial (smoke's default lr, the same loss, one thread;
    // tests in a file run in order): the same final numbers
    const final = (dir: string, run: string) => readJson<{ final: unknown }>(join(dir, run, 'metrics.json')).final;
    expect(final(runsDir, builtin!)).toEqual(final(join(tmp, 'local-runs'), `${id}--lr=0.003--s1`));
    // the custom arm trained the module's loss on the node: recorded in config.json, logged within its bounds
    expect(JSON.stringify(readJson<{ plugins: unknown }>(join(runsDir, custom!, 'config.json')).plugins)).toContain(
      module,
    );
    const stage1 = readFileSync(join(runsDir, custom!, 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { stage: string; losses: Record<string, number> })
      .filter((e) => e.stage === 'stage1');
    expect(stage1).toHaveLength(2);
    for (const e of stage1) {
      expect(e.losses.ti).toBeGreaterThanOrEqual(0);
      expect(e.losses.ti).toBeLessThanOrEqual(2.2);
    }
  }, 600_000);
});
