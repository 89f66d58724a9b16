import { UserError } from '../../core/errors';
import { writeComparison } from '../../core/report';
import { importRunPlugins } from '../../core/run/resolve';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';
import { checkReportableRun } from '../reportable-run';

export const command: CliCommand = {
  name: 'compare',
  summary: 'Put several runs side by side: same charts, one colour per run, a table of deltas',
  usage: `Usage: unir compare <runDir> <runDir>... [--out DIR] [--plugin MODULE ...]

Writes report.html / report.md / report.json comparing the runs (deltas against the first) into DIR
(default: runs/compare-<first>-vs-<second>...). The runs' recorded plugin modules are imported first;
--plugin MODULE imports more.`,
  async run(argv) {
    const { values, positionals } = parseFlags('compare', argv, {
      out: { type: 'string' },
      plugin: { type: 'string', multiple: true },
    });
    if (positionals.length < 2)
      throw new UserError("compare: give at least two run directories, e.g. 'unir compare runs/a runs/b'");
    for (const dir of positionals) checkReportableRun('compare', dir);
    const base = positionals.map((p) => p.replace(/\/+$/, '').split('/').pop()).join('-vs-');
    const out = values.out ?? `runs/compare-${base}`.slice(0, 200);
    const reg = registry();
    for (const dir of positionals) await importRunPlugins(dir, { registry: reg, plugins: values.plugin });
    const r = writeComparison(positionals, out, reg);
    console.log(`compare: ${r.html}\n         ${r.markdown}\n         ${r.json}  (${r.model.figures.length} charts)`);
    return 0;
  },
};
