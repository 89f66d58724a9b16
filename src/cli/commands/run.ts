import type { SetFlag } from '../../core/config/set-flags';
import { UserError } from '../../core/errors';
import { parseSetFlag } from '../../core/config/overrides';
import { dryRunReport } from '../../core/train/dry-run';
import { loadAndResolve } from '../../core/run/resolve';
import { inspectRunData, resumeRun, runExperiment } from '../../core/train/run';
import { disposeBackend } from '../../core/backend';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';

export const command: CliCommand = {
  name: 'run',
  summary: 'Train an experiment (curriculum stages, checkpoints, history, metrics), or resume one',
  usage: `Usage: unir run <experiment> [--seed N] [--set path=value ...] [--plugin MODULE ...] [--out runs/] [--run-id ID] [--dry-run]
       unir run --resume <runDir> [--plugin MODULE ...]
       (global: --backend auto|tensorflow-gpu|tensorflow|wasm|cpu)

<experiment> is a name in experiments/ (smoke, paper-three-stage), or a .ts / .json file.
  --set path=value   override any field by dotted path, repeatable; value is JSON when it parses:
                     --set curriculum.stages.stage1.weights.alpha=0.25 --set data.batchSize=64
  --seed N           same as --set seed=N
  --plugin MODULE    import a plugin module before resolving (a path relative to the working directory, or a
                     package; repeatable); recorded in config.json with the experiment's own plugins, so
                     --resume, report, index, search and sweep trials import it again
  --dry-run          validate, load and check the data, print the resolved config, step counts, the data
                     and a time estimate; no training
  --out DIR          parent of the run directory (default runs/)
  --run-id ID        run directory name (default <experiment>--<UTC time>--s<seed>, with -2, -3, … after
                     the time when another run started in the same second)
  --resume DIR       continue a run from its newest checkpoint (same config, same backend unless --backend)

Before the first step, checks what the data must provide for every stage (splits, pairs, ≥ 2 intents for
intent losses, ≥ 2 groups for in-batch negatives) and prints the data it uses: groups, images, languages per
split and the chance R@10 of text→image on the evaluated splits (a warning above 0.2).
Writes DIR/<runId>/: config.json, run.json, history.jsonl, checkpoints/, metrics.json, and when it finishes
embeddings/<test split>.{f32,json} and report.html/.md/.json; records the run in DIR/unir.duckdb ('unir runs').
A run that fails before its first step leaves no directory. Caches (decoded images, token tables) go to
$UNIR_CACHE_DIR (default <repo>/.cache/unir), never into the dataset's folder.
Ctrl-C stops at the next step with a checkpoint; kill -9 loses at most checkpointEvery steps.`,
  async run(argv) {
    const { values, positionals } = parseFlags('run', argv, {
      seed: { type: 'string' },
      set: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      out: { type: 'string' },
      'run-id': { type: 'string' },
      resume: { type: 'string' },
      plugin: { type: 'string', multiple: true },
    });
    const reg = registry();
    const stop = new AbortController();
    const onSigint = () => {
      if (stop.signal.aborted) process.exit(130);
      process.stderr.write('\nunir: stopping after this step (checkpoint follows); Ctrl-C again to quit at once\n');
      stop.abort();
    };
    if (values.resume !== undefined) {
      if (positionals.length || values.set || values.seed || values['dry-run'] || values['run-id']) {
        throw new UserError(
          "run: --resume takes only the run directory (and --backend); the run's own config.json is used",
        );
      }
      process.on('SIGINT', onSigint);
      try {
        const r = await resumeRun(values.resume, { registry: reg, signal: stop.signal, plugins: values.plugin });
        console.log(`${r.result.status}: ${r.runDir}`);
        return r.result.status === 'finished' ? 0 : 130;
      } finally {
        process.off('SIGINT', onSigint);
        await disposeBackend();
      }
    }
    if (positionals.length !== 1)
      throw new UserError("run: give one experiment, e.g. 'unir run smoke' (see 'unir run --help')");
    const flags: SetFlag[] = (values.set ?? []).map((s) => {
      const [path, value] = parseSetFlag(s);
      return { flag: `--set ${s}`, path, value };
    });
    if (values.seed !== undefined) {
      if (!/^\d+$/.test(values.seed))
        throw new UserError(`run: --seed '${values.seed}': expected a non-negative integer`);
      flags.push({ flag: `--seed ${values.seed}`, path: 'seed', value: Number(values.seed) });
    }
    const { resolved, source } = await loadAndResolve(
      { experiment: positionals[0]!, set: flags },
      { registry: reg, plugins: values.plugin },
    );
    if (values['dry-run']) {
      const loading: string[] = [];
      const data = await inspectRunData(resolved, reg, (l) => loading.push(l)); // a data problem fails here, before timing
      console.log(await dryRunReport(resolved, reg));
      console.log(['', ...loading, ...data.lines, ...data.warnings].join('\n'));
      await disposeBackend();
      return 0;
    }
    process.on('SIGINT', onSigint);
    try {
      const r = await runExperiment(resolved, {
        registry: reg,
        outDir: values.out,
        runId: values['run-id'],
        signal: stop.signal,
        source,
      });
      console.log(`${r.result.status}: ${r.runDir}`);
      return r.result.status === 'finished' ? 0 : 130;
    } finally {
      process.off('SIGINT', onSigint);
      await disposeBackend();
    }
  },
};
