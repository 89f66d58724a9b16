import { UserError } from '../../core/errors';
import { writeComparison } from '../../core/report';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';
import { checkReportableRun } from '../reportable-run';

export const command: CliCommand = {
  name: 'compare',
  summary: 'Put several runs side by side: same charts, one colour per run, a table of deltas',
  usage: `Usage: unir compare <runDir> <runDir>... [--out DIR]

Writes report.html / report.md / report.json comparing the runs (deltas against the first) into DIR
(default: runs/compare-<first>-vs-<second>...).`,
  async run(argv) {
    const { values, positionals } = parseFlags('compare', argv, { out: { type: 'string' } });
    if (positionals.length < 2) throw new UserError("compare: give at least two run directories, e.g. 'unir compare runs/a runs/b'");
    for (const dir of positionals) checkReportableRun('compare', dir);
    const base = positionals.map((p) => p.replace(/\/+$/, '').split('/').pop()).join('-vs-');
    const out = values.out ?? `runs/compare-${base}`.slice(0, 200);
    const r = writeComparison(positionals, out, registry());
    console.log(`compare: ${r.html}\n         ${r.markdown}\n         ${r.json}  (${r.model.figures.length} charts)`);
    return 0;
  },
};
