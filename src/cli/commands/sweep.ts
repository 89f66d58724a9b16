import { join, resolve } from 'node:path';
import { UserError } from '../../core/errors';
import { recordTrials, sweepTable } from '../../core/results/sweep-store';
import { DEFAULT_DB } from '../../core/store/store';
import { loadSweep, validateTrials } from '../../core/sweep/load-sweep';
import { runTrials, trialArgs, trialFinished } from '../../core/sweep/run-sweep';
import { writeSweepReport } from '../../core/sweep/sweep-report';
import { expandSweep } from '../../core/sweep/sweep';
import { modelSpecParser } from '../../core/train/model-factory';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';

export const command: CliCommand = {
  name: 'sweep',
  summary: 'Run a sweep (grid or random over config paths × seeds) as resumable runs, then write its report',
  usage: `Usage: unir sweep <sweep-file> [--parallel N] [--out runs/] [--db runs/unir.duckdb] [--report DIR] [--dry-run]

<sweep-file> is a .ts file ('export default defineSweep({...})') or .json, or a name in experiments/ or
experiments/sweeps/ (staged-vs-single, nlu-ablation, alpha-sweep, ab-sweep, zero-shot-languages, stage-monitor).
Every trial (base experiment + overrides + seed) is validated before the first one starts. Trials are
ordinary 'unir run' processes writing <out>/<sweep-id>--<point>--s<seed>/; finished ones are skipped and
started ones resumed, so re-running an interrupted sweep runs only what is missing.
  --parallel N   trials at once (threads are split between them; default 1)
  --out DIR      parent of the run directories (default runs/)
  --db PATH      run store the finished trials are recorded in (default ${DEFAULT_DB})
  --report DIR   where sweep.html / sweep.json go (default <out>/sweeps/<sweep-id>)
  --dry-run      validate every trial and list them; run nothing`,
  async run(argv) {
    const { values, positionals } = parseFlags('sweep', argv, {
      parallel: { type: 'string' },
      out: { type: 'string' },
      db: { type: 'string' },
      report: { type: 'string' },
      'dry-run': { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UserError("sweep: give one sweep file, e.g. 'unir sweep experiments/alpha-sweep.ts' (see 'unir sweep --help')");
    const parallel = values.parallel === undefined ? 1 : Number(values.parallel);
    if (!Number.isInteger(parallel) || parallel < 1) throw new UserError(`sweep: --parallel '${values.parallel}': expected a positive integer`);
    const runsDir = resolve(values.out ?? 'runs');
    const db = values.db ?? DEFAULT_DB;
    const { spec, source } = await loadSweep(positionals[0]!);
    const trials = expandSweep(spec);
    const reg = registry();
    await validateTrials(spec, trials, reg, modelSpecParser, runsDir);
    const done = trials.filter((t) => trialFinished(runsDir, t.runId)).length;
    console.log(`sweep ${spec.id} (${source}): ${trials.length} trials valid (${trials.length / spec.seeds.length} points × ${spec.seeds.length} seeds), ${done} already finished`);
    if (values['dry-run']) {
      for (const t of trials) {
        const state = trialFinished(runsDir, t.runId) ? 'finished' : 'to run';
        console.log(`  ${state.padEnd(8)} unir ${trialArgs(t, { base: spec.base, runsDir }).join(' ')}`);
      }
      return 0;
    }
    const outcomes = await runTrials(trials, { base: spec.base, runsDir, parallel });
    const failed = outcomes.filter((o) => o.status === 'failed');
    const recorded = await recordTrials(db, trials, runsDir);
    const table = await sweepTable(db, trials, recorded);
    const reportDir = resolve(values.report ?? join(runsDir, 'sweeps', spec.id));
    const r = writeSweepReport(spec, trials, runsDir, reportDir, table);
    const ran = outcomes.filter((o) => o.status === 'finished').length;
    console.log(`sweep ${spec.id}: ${ran} ran, ${outcomes.length - ran - failed.length} skipped (already finished), ${failed.length} failed; ${recorded.length} recorded in ${db}`);
    for (const f of failed) console.log(`  failed: ${f.trial.runId} (exit ${f.code}): ${(f.lastLines ?? '').split('\n').pop()}`);
    console.log(`report: ${r.html}`);
    return failed.length ? 1 : 0;
  },
};
