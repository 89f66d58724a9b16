import { UserError } from '../../core/errors';
import { writeRunReport } from '../../core/report';
import { importRunPlugins } from '../../core/run/resolve';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';
import { checkReportableRun } from '../reportable-run';

export const command: CliCommand = {
  name: 'report',
  summary: 'Regenerate report.html / report.md / report.json of a run from its record',
  usage: `Usage: unir report <runDir> [--plugin MODULE ...]

Writes report.html (self-contained, plotly inlined, works offline), report.md and report.json into the run
directory, from metrics.json, history.jsonl, config.json, run.json and the plugin registry. The plugin modules
config.json records are imported first; --plugin MODULE imports more (a path or a package; repeatable).`,
  async run(argv) {
    const { values, positionals } = parseFlags('report', argv, { plugin: { type: 'string', multiple: true } });
    if (positionals.length !== 1)
      throw new UserError("report: give exactly one run directory, e.g. 'unir report runs/smoke-s1'");
    checkReportableRun('report', positionals[0]!);
    const reg = registry();
    await importRunPlugins(positionals[0]!, { registry: reg, plugins: values.plugin });
    const r = writeRunReport(positionals[0]!, reg);
    console.log(
      `report: ${r.html}\n        ${r.markdown}\n        ${r.json}  (${r.model.figures.length} charts, ${r.model.tables.length} tables)`,
    );
    return 0;
  },
};
