import { existsSync } from 'node:fs';
import { UserError, didYouMean, isUserError } from '../../core/errors';
import { wholeManifestProblems } from '../../core/data/load-manifest';
import { formatProblem, parseManifest } from '../../core/data/manifest-schema';
import { countRecords, describeRecords, formatCountTable } from '../../core/data/stats';
import { parseFlags, type CliCommand } from '../command';

const SUBCOMMANDS = ['validate', 'build', 'stats'] as const;

const usage = `Usage:
  unir data validate <manifest.jsonl> [--no-images] [--image-root DIR] [--experiment NAME|FILE] [--json]
  unir data build [DATASET] [--force] [--out DIR]
  unir data stats <manifest.jsonl> [--json]

validate  checks every line of a manifest (format: data-cards/FORMAT.md) and prints each problem as
          'file:line: field: problem', then 'N problems in M lines' (exit 1); when clean, the counts per
          split × kind × language (exit 0). Every image is decoded unless --no-images. Image paths must
          stay inside the manifest's folder (no absolute paths, no '..' out of it) unless --image-root DIR
          (the dataset option imageRoot) allows the folder that holds them. A manifest without records
          (only a header) is a problem. --experiment also checks what that experiment needs of this
          manifest as its dataset: the splits it trains and evaluates on (data.evalSplit, data.testSplit),
          its languages, and what its stages need (pairs, ≥ 2 intents for intent losses, ≥ 2 groups for
          in-batch negatives); when clean it prints the data the run would use, with chance R@10.
build     builds a dataset whose plugin has a builder (default emoji-cldr, from the npm packages, into
          data/emoji-cldr/); skipped when an up-to-date build exists, unless --force. Your dataset plugin
          gets the command by defining build({ outDir, force, log }).
stats     counts per split × kind × language, groups, image families, intents, slots, text lengths
          (images are not decoded).
  --json  machine-readable output on stdout`;

function manifestArg(sub: string, positionals: string[]): string {
  const [path, ...extra] = positionals;
  if (!path)
    throw new UserError(`data ${sub}: give the manifest path, e.g. 'unir data ${sub} data/emoji-cldr/manifest.jsonl'`);
  if (extra.length) throw new UserError(`data ${sub}: unexpected argument '${extra[0]}'; give one manifest path`);
  return path;
}

/**
 * What `experiment` (a name or file) needs of the manifest `file` as its dataset: the run's own checks (runDataOf,
 * checkStagesData) on the manifest loaded with the experiment's dataset languages and holdout. Returns the first
 * problem (one line) or the data lines a run would print.
 */
async function experimentFit(
  file: string,
  experiment: string,
  imageRoot: string | undefined,
): Promise<{ problem?: string; lines: string[] }> {
  // loaded on demand: validate alone needs neither the plugins nor tfjs
  const { resolveExperiment } = await import('../../core/config/experiment');
  const { loadExperiment } = await import('../../core/config/load');
  const { experimentDataset } = await import('../../core/data/experiment-dataset');
  const { checkStagesData, describeRunData, runDataOf } = await import('../../core/train/run-data');
  const { modelSpecParser } = await import('../../core/model/spec');
  const { registry } = await import('../../plugins');
  const reg = registry();
  const { input, source } = await loadExperiment(experiment);
  const resolved = resolveExperiment(input, reg, { source, modelSpec: modelSpecParser });
  const e = resolved.experiment;
  const languages = (e.data.dataset as { languages?: string[] }).languages;
  const dataset = {
    id: 'manifest',
    path: file,
    checkImages: false,
    ...(imageRoot ? { imageRoot } : {}),
    ...(languages ? { languages } : {}),
  };
  try {
    const ds = await experimentDataset({ ...e, data: { ...e.data, dataset } }, reg, () => {});
    const rd = runDataOf(e, ds);
    const warnings = checkStagesData(rd, resolved.stages, reg, e.data.batchSize).map((w) => `warning: ${w}`);
    const d = describeRunData(rd);
    return { lines: [...d.lines, ...d.warnings, ...warnings] };
  } catch (err) {
    if (!isUserError(err)) throw err;
    return { problem: `${file}: ${source}: ${err.message}`, lines: [] };
  }
}

async function validate(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('data validate', argv, {
    'no-images': { type: 'boolean' },
    json: { type: 'boolean' },
    'image-root': { type: 'string' },
    experiment: { type: 'string' },
  });
  const file = manifestArg('validate', positionals);
  const imageRoot = values['image-root'];
  if (imageRoot !== undefined && !existsSync(imageRoot))
    throw new UserError(
      `data validate: --image-root '${imageRoot}': no such folder; give the folder that holds the images`,
    );
  const m = await parseManifest(file, { checkImages: !values['no-images'], imageRoot });
  m.problems.push(...wholeManifestProblems(m));
  const badLines = new Set(m.problems.map((p) => p.line)).size;
  const counts = countRecords(m.records, m.header?.languages);
  // the experiment's needs are checked on a manifest without line problems (a run would stop at those first)
  const fit =
    values.experiment !== undefined && m.problems.length === 0
      ? await experimentFit(file, values.experiment, imageRoot)
      : undefined;
  const total = m.problems.length + (fit?.problem ? 1 : 0);
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          file,
          lines: m.lines,
          records: m.records.length,
          problems: m.problems,
          badLines,
          counts,
          ...(fit ? { experiment: { problem: fit.problem ?? null, data: fit.lines } } : {}),
        },
        null,
        1,
      ),
    );
    return total ? 1 : 0;
  }
  if (total) {
    for (const p of m.problems) console.log(formatProblem(p));
    if (fit?.problem) console.log(fit.problem);
    const where = badLines ? ` in ${badLines} line${badLines === 1 ? '' : 's'}` : '';
    const whole = fit?.problem ? `${badLines ? ' and 1' : ''} for experiment '${values.experiment}'` : '';
    console.log(`${total} problem${total === 1 ? '' : 's'}${where}${whole}`);
    return 1;
  }
  console.log(
    `${file}: ${m.records.length} records${m.header ? ` (+ header '${m.header.name}'${m.header.version ? ` ${m.header.version}` : ''})` : ''}, 0 problems${values['no-images'] ? ' (images not checked)' : ''}`,
  );
  for (const line of formatCountTable(counts)) console.log(line);
  if (fit)
    for (const line of ['', `as the dataset of experiment '${values.experiment}':`, ...fit.lines]) console.log(line);
  return 0;
}

async function stats(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('data stats', argv, { json: { type: 'boolean' } });
  const file = manifestArg('stats', positionals);
  const m = await parseManifest(file, { checkImages: false });
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          file,
          header: m.header,
          records: m.records.length,
          problems: m.problems.length,
          counts: countRecords(m.records, m.header?.languages),
        },
        null,
        1,
      ),
    );
    return 0;
  }
  console.log(
    `${file}: ${m.records.length} records${m.header ? `, dataset '${m.header.name}'${m.header.version ? ` ${m.header.version}` : ''}` : ''}`,
  );
  if (m.problems.length)
    console.log(
      `(${m.problems.length} problems: those lines are not counted; 'unir data validate ${file}' lists them)`,
    );
  for (const line of [...formatCountTable(countRecords(m.records, m.header?.languages)), ...describeRecords(m.records)])
    console.log(line);
  return 0;
}

async function build(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('data build', argv, {
    force: { type: 'boolean' },
    out: { type: 'string' },
  });
  const { registry } = await import('../../plugins');
  const datasets = registry().registered('dataset');
  const buildable = datasets.filter((p) => p.build).map((p) => p.id);
  const [name = 'emoji-cldr', ...extra] = positionals;
  const plugin = datasets.find((p) => p.id === name);
  if (extra.length || !plugin?.build) {
    const near = plugin || extra.length ? undefined : didYouMean(name, buildable);
    const what = extra.length
      ? `unknown dataset '${extra[0]}' (one dataset at a time)`
      : plugin
        ? `'${name}' is read from a manifest, not built`
        : `unknown dataset '${name}'`;
    throw new UserError(
      `data build: ${what}; buildable: ${buildable.join(', ')}${near ? `; did you mean '${near}'?` : ''}`,
    );
  }
  const r = await plugin.build({ outDir: values.out, force: values.force, log: (line) => console.log(line) });
  console.log(`manifest: ${r.manifestPath}`);
  return 0;
}

export const command: CliCommand = {
  name: 'data',
  summary: 'Validate a manifest, build the default dataset (emoji-cldr), print dataset statistics',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'validate') return validate(rest);
    if (sub === 'build') return build(rest);
    if (sub === 'stats') return stats(rest);
    if (!sub) throw new UserError(`data: give a subcommand: ${SUBCOMMANDS.join(', ')}. See 'unir data --help'.`);
    const hint = didYouMean(sub, SUBCOMMANDS);
    throw new UserError(
      `data: unknown subcommand '${sub}'.${hint ? ` Did you mean '${hint}'?` : ''} Use one of ${SUBCOMMANDS.join(', ')}.`,
    );
  },
};
