import { UserError } from '../../core/errors';
import { writeRunReport } from '../../core/report';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';
import { checkReportableRun } from '../reportable-run';

export const command: CliCommand = {
  name: 'report',
  summary: 'Regenerate report.html / report.md / report.json of a run from its record',
  usage: `Usage: unir report <runDir>

Writes report.html (self-contained, plotly inlined, works offline), report.md and report.json into the run
directory, from metrics.json, history.jsonl, config.json, run.json and the plugin registry.`,
  async run(argv) {
    const { positionals } = parseFlags('report', argv, {});
    if (positionals.length !== 1) throw new UserError("report: give exactly one run directory, e.g. 'unir report runs/smoke-s1'");
    checkReportableRun('report', positionals[0]!);
    const r = writeRunReport(positionals[0]!, registry());
    console.log(`report: ${r.html}\n        ${r.markdown}\n        ${r.json}  (${r.model.figures.length} charts, ${r.model.tables.length} tables)`);
    return 0;
  },
};
