import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../../core/fs-atomic';
import { headlineMetrics } from '../../core/eval/headline';
import { registry } from '../../plugins';
import { collectSweeps } from '../../core/results/collect';
import { renderResults } from '../../core/results/render-md';
import { DEFAULT_DB } from '../../core/store/store';
import { loadSweep } from '../../core/sweep/load-sweep';
import { parseFlags, type CliCommand } from '../command';

export const command: CliCommand = {
  name: 'results',
  summary: "Write experiments/RESULTS.md from the run store: every sweep's numbers and computed conclusions",
  usage: `Usage: unir results [--db ${DEFAULT_DB}] [--runs-dir DIR] [--out experiments/RESULTS.md]

Reads every finished sweep trial (run ids <sweep-id>--<point>--s<seed>) from the run store and writes, per
sweep: mean ± 95% CI over seeds per arm beside the baselines (pixel-knn, chance), and the comparisons the
question needs (e.g. three-stage − single-stage) as paired bootstraps over test queries and seeds (95% CI of Δ,
smallest detectable Δ; trial outcomes are read from the run folders in --runs-dir, by default the folder of the
store). Never edit the file by hand.`,
  async run(argv) {
    const { values } = parseFlags(
      'results',
      argv,
      { db: { type: 'string' }, 'runs-dir': { type: 'string' }, out: { type: 'string' } },
      false,
    );
    const db = values.db ?? DEFAULT_DB;
    const out = values.out ?? 'experiments/RESULTS.md';
    const sweeps = await collectSweeps(db);
    const questions: Record<string, string> = {};
    for (const s of sweeps) {
      try {
        questions[s.sweep] = (await loadSweep(s.sweep)).spec.question;
      } catch {
        // a sweep without a file in experiments/: numbers only
      }
    }
    writeFileAtomic(
      out,
      renderResults(sweeps, {
        db,
        headlines: headlineMetrics(registry().registered('metric')),
        questions,
        generatedAt: new Date().toISOString(),
        runsDir: resolve(values['runs-dir'] ?? dirname(resolve(db))),
      }),
    );
    console.log(`${out}: ${sweeps.length} sweeps, ${sweeps.reduce((n, s) => n + s.trials.length, 0)} trials`);
    return 0;
  },
};
