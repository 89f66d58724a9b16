import { isAbsolute, join, resolve } from 'node:path';
import { findExperimentFile } from '../../core/config/load';
import { headlineMetrics } from '../../core/eval/headline';
import { UserError } from '../../core/errors';
import { recordTrials, sweepTable } from '../../core/results/sweep-store';
import { DEFAULT_DB } from '../../core/store/store';
import { loadSweep, validateTrials } from '../../core/sweep/load-sweep';
import { runTrials, trialArgs, trialFinished } from '../../core/sweep/run-sweep';
import { requireSlurmClient } from '../../core/sweep/slurm/slurm-cli';
import { sweepStatus, waitForSweep, type TrialStatus } from '../../core/sweep/slurm/status';
import { submitSweep } from '../../core/sweep/slurm/submit';
import type { SbatchOptions } from '../../core/sweep/slurm/submission';
import { writeSweepReport } from '../../core/sweep/sweep-report';
import { expandSweep, type SweepSpec, type Trial } from '../../core/sweep/sweep';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';

const EXECUTORS = ['local', 'slurm'] as const;

/** Plugin modules as every trial process must name them: paths absolute (trials start elsewhere), packages as they are. */
const absolutePlugins = (mods: readonly string[] = []) =>
  mods.map((m) => (m.startsWith('.') || isAbsolute(m) ? resolve(m) : m));

function statusTable(st: TrialStatus[]): string {
  const w = Math.max(...st.map((s) => s.runId.length));
  const counts = ['finished', 'running', 'pending', 'failed', 'not submitted']
    .map((k) => [k, st.filter((s) => s.state === k).length] as const)
    .filter(([, n]) => n);
  return [
    ...st.map((s) =>
      `  ${s.state.padEnd(13)} ${s.runId.padEnd(w)}  ${s.task ?? ''}${s.detail ? `  ${s.detail}` : ''}`.trimEnd(),
    ),
    `  ${counts.map(([k, n]) => `${n} ${k}`).join(', ')}`,
  ].join('\n');
}

async function publish(spec: SweepSpec, trials: Trial[], runsDir: string, db: string, report: string | undefined) {
  const recorded = await recordTrials(db, trials, runsDir);
  const heads = headlineMetrics(registry().registered('metric'));
  const table = await sweepTable(db, trials, recorded, heads);
  const r = writeSweepReport(spec, trials, runsDir, resolve(report ?? join(runsDir, 'sweeps', spec.id)), table, heads);
  return { recorded, html: r.html };
}

export const command: CliCommand = {
  name: 'sweep',
  summary: 'Run a sweep (grid or random over config paths × seeds) as resumable runs, here or on a Slurm cluster',
  usage: `Usage: unir sweep <sweep-file> [--executor local|slurm] [--parallel N] [--out runs/] [--db <out>/unir.duckdb]
                  [--report DIR] [--plugin MODULE ...] [--dry-run]
       unir sweep <sweep-file> --executor slurm [--partition P] [--time T] [--gres G] [--cpus-per-task N] [--mem M]
                  [--sbatch-arg ARG ...] [--wait]
       unir sweep <sweep-file> --status

<sweep-file> is a .ts file ('export default defineSweep({...})') or .json, or a name in experiments/ or
experiments/sweeps/ (staged-vs-single, nlu-ablation, alpha-sweep, ab-sweep, zero-shot-languages, stage-monitor).
Every trial (base experiment + overrides + seed) is validated before the first one starts. Trials are
ordinary runs writing <out>/<sweep-id>--<point>--s<seed>/; finished ones are skipped and started ones resumed,
so re-running an interrupted sweep runs only what is missing.
  --executor E       local (default): 'unir run' processes on this machine, --parallel at a time.
                     slurm: one sbatch job array, one task per unfinished trial (--array=0-N%parallel), each
                     running its trial into <out> (a folder every node sees) and recording it in --db when it
                     finishes; SIGTERM (scancel, time limit, preemption) checkpoints and stops the task, and a
                     requeued or resubmitted task continues from there. Submitting again submits only trials
                     that are neither finished nor queued.
  --parallel N       trials at once (local: threads are split between them; slurm: the array's %N; default 1
                     locally, unlimited on slurm)
  --partition P, --time T, --gres G (e.g. gpu:1), --cpus-per-task N, --mem M
                     passed to sbatch; --sbatch-arg ARG passes any other sbatch option (repeatable)
  --wait             slurm: wait until no trial is queued, then record the trials and write the report
  --status           per trial: pending / running / finished / failed (from squeue, sacct where the cluster has
                     accounting, the tasks' records and the run folders), with the step and the task's log
  --plugin MODULE    a plugin module every trial imports (a path or a package; repeatable); recorded in each
                     trial's config.json
  --out DIR          parent of the run directories (default runs/)
  --db PATH          run store the finished trials are recorded in (default <out>/unir.duckdb: ${DEFAULT_DB})
  --report DIR       where sweep.html / sweep.json go (default <out>/sweeps/<sweep-id>)
  --dry-run          validate every trial and list them; run nothing`,
  async run(argv) {
    const { values, positionals } = parseFlags('sweep', argv, {
      executor: { type: 'string', default: 'local' },
      parallel: { type: 'string' },
      out: { type: 'string' },
      db: { type: 'string' },
      report: { type: 'string' },
      'dry-run': { type: 'boolean' },
      status: { type: 'boolean' },
      wait: { type: 'boolean' },
      plugin: { type: 'string', multiple: true },
      partition: { type: 'string' },
      time: { type: 'string' },
      gres: { type: 'string' },
      'cpus-per-task': { type: 'string' },
      mem: { type: 'string' },
      'sbatch-arg': { type: 'string', multiple: true },
    });
    if (positionals.length !== 1)
      throw new UserError(
        "sweep: give one sweep file, e.g. 'unir sweep experiments/alpha-sweep.ts' (see 'unir sweep --help')",
      );
    const executor = values.executor as (typeof EXECUTORS)[number];
    if (!EXECUTORS.includes(executor))
      throw new UserError(`sweep: --executor '${values.executor}': use ${EXECUTORS.join(' or ')}`);
    const slurmOnly = ['partition', 'time', 'gres', 'cpus-per-task', 'mem', 'sbatch-arg', 'wait'] as const;
    const misplaced = slurmOnly.find((k) => values[k] !== undefined);
    if (executor === 'local' && misplaced)
      throw new UserError(`sweep: --${misplaced} is an option of --executor slurm`);
    const parallel = values.parallel === undefined ? undefined : Number(values.parallel);
    if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1))
      throw new UserError(`sweep: --parallel '${values.parallel}': expected a positive integer`);
    const cpus = values['cpus-per-task'] === undefined ? undefined : Number(values['cpus-per-task']);
    if (cpus !== undefined && (!Number.isInteger(cpus) || cpus < 1))
      throw new UserError(`sweep: --cpus-per-task '${values['cpus-per-task']}': expected a positive integer`);
    const runsDir = resolve(values.out ?? 'runs');
    const db = resolve(values.db ?? join(runsDir, 'unir.duckdb')); // beside the runs, as 'unir run --out' records
    const plugins = absolutePlugins(values.plugin);
    const { spec, source } = await loadSweep(positionals[0]!);
    const trials = expandSweep(spec);
    if (values.status) {
      const st = sweepStatus(spec.id, trials, runsDir);
      console.log(`sweep ${spec.id} (${source}): ${trials.length} trials\n${statusTable(st)}`);
      return 0;
    }
    // no sbatch here: one line with the fix, before anything is validated, written or submitted
    if (executor === 'slurm' && !values['dry-run']) requireSlurmClient();
    const reg = registry();
    await validateTrials(spec, trials, reg, runsDir, plugins);
    const done = trials.filter((t) => trialFinished(runsDir, t.runId)).length;
    console.log(
      `sweep ${spec.id} (${source}): ${trials.length} trials valid (${trials.length / spec.seeds.length} points × ${spec.seeds.length} seeds), ${done} already finished`,
    );
    if (values['dry-run']) {
      for (const t of trials) {
        const state = trialFinished(runsDir, t.runId) ? 'finished' : 'to run';
        console.log(`  ${state.padEnd(8)} unir ${trialArgs(t, { base: spec.base, runsDir, plugins }).join(' ')}`);
      }
      return 0;
    }
    if (executor === 'slurm') {
      const sbatch: SbatchOptions = {
        partition: values.partition,
        time: values.time,
        gres: values.gres,
        cpusPerTask: cpus,
        mem: values.mem,
        maxParallel: parallel,
        args: values['sbatch-arg'],
      };
      const r = await submitSweep(
        { sweepId: spec.id, base: findExperimentFile(spec.base), runsDir, db, plugins, sbatch },
        trials,
      );
      const queued = r.before.filter((s) => s.state === 'pending' || s.state === 'running').length;
      const statusCmd = `unir sweep ${positionals[0]}${values.out === undefined ? '' : ` --out ${values.out}`} --status`;
      console.log(
        r.jobId
          ? `sweep ${spec.id}: submitted job array ${r.jobId} (${r.submitted.length} task${r.submitted.length === 1 ? '' : 's'}); ${queued} already queued, ${done} finished. '${statusCmd}' shows them`
          : `sweep ${spec.id}: nothing to submit (${done} finished, ${queued} queued)`,
      );
      if (!values.wait) return 0;
      const st = await waitForSweep(spec.id, trials, runsDir, (line) => console.log(`sweep ${spec.id}: ${line}`));
      const { recorded, html } = await publish(spec, trials, runsDir, db, values.report);
      console.log(`sweep ${spec.id}:\n${statusTable(st)}\n${recorded.length} recorded in ${db}\nreport: ${html}`);
      return st.every((s) => s.state === 'finished') ? 0 : 1;
    }
    const outcomes = await runTrials(trials, { base: spec.base, runsDir, parallel, plugins });
    const failed = outcomes.filter((o) => o.status === 'failed');
    const { recorded, html } = await publish(spec, trials, runsDir, db, values.report);
    const ran = outcomes.filter((o) => o.status === 'finished').length;
    console.log(
      `sweep ${spec.id}: ${ran} ran, ${outcomes.length - ran - failed.length} skipped (already finished), ${failed.length} failed; ${recorded.length} recorded in ${db}`,
    );
    for (const f of failed)
      console.log(`  failed: ${f.trial.runId} (exit ${f.code}): ${(f.lastLines ?? '').split('\n').pop()}`);
    console.log(`report: ${html}`);
    return failed.length ? 1 : 0;
  },
};
