import { existsSync } from 'node:fs';
import { UserError, didYouMean } from '../../core/errors';
import { formatProblem, parseManifest } from '../../core/data/manifest-schema';
import { countRecords, describeRecords, formatCountTable } from '../../core/data/stats';
import { parseFlags, type CliCommand } from '../command';

const SUBCOMMANDS = ['validate', 'build', 'stats'] as const;
const BUILDABLE = ['emoji-cldr'];

const usage = `Usage:
  unir data validate <manifest.jsonl> [--no-images] [--image-root DIR] [--json]
  unir data build [emoji-cldr] [--force] [--out DIR]
  unir data stats <manifest.jsonl> [--json]

validate  checks every line of a manifest (format: data-cards/FORMAT.md) and prints each problem as
          'file:line: field: problem', then 'N problems in M lines' (exit 1); when clean, the counts per
          split × kind × language (exit 0). Every image is decoded unless --no-images. Image paths must
          stay inside the manifest's folder (no absolute paths, no '..' out of it) unless --image-root DIR
          (the dataset option imageRoot) allows the folder that holds them.
build     builds the default dataset emoji-cldr from the npm packages (default into data/emoji-cldr/;
          skipped when an up-to-date build exists, unless --force).
stats     counts per split × kind × language, groups, image families, intents, slots, text lengths
          (images are not decoded).
  --json  machine-readable output on stdout`;

function manifestArg(sub: string, positionals: string[]): string {
  const [path, ...extra] = positionals;
  if (!path) throw new UserError(`data ${sub}: give the manifest path, e.g. 'unir data ${sub} data/emoji-cldr/manifest.jsonl'`);
  if (extra.length) throw new UserError(`data ${sub}: unexpected argument '${extra[0]}'; give one manifest path`);
  return path;
}

async function validate(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('data validate', argv, { 'no-images': { type: 'boolean' }, json: { type: 'boolean' }, 'image-root': { type: 'string' } });
  const file = manifestArg('validate', positionals);
  const imageRoot = values['image-root'];
  if (imageRoot !== undefined && !existsSync(imageRoot)) throw new UserError(`data validate: --image-root '${imageRoot}': no such folder; give the folder that holds the images`);
  const m = await parseManifest(file, { checkImages: !values['no-images'], imageRoot });
  const badLines = new Set(m.problems.map((p) => p.line)).size;
  const counts = countRecords(m.records, m.header?.languages);
  if (values.json) {
    console.log(JSON.stringify({ file, lines: m.lines, records: m.records.length, problems: m.problems, badLines, counts }, null, 1));
    return m.problems.length ? 1 : 0;
  }
  if (m.problems.length) {
    for (const p of m.problems) console.log(formatProblem(p));
    console.log(`${m.problems.length} problem${m.problems.length === 1 ? '' : 's'} in ${badLines} line${badLines === 1 ? '' : 's'}`);
    return 1;
  }
  console.log(`${file}: ${m.records.length} records${m.header ? ` (+ header '${m.header.name}'${m.header.version ? ` ${m.header.version}` : ''})` : ''}, 0 problems${values['no-images'] ? ' (images not checked)' : ''}`);
  for (const line of formatCountTable(counts)) console.log(line);
  return 0;
}

async function stats(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('data stats', argv, { json: { type: 'boolean' } });
  const file = manifestArg('stats', positionals);
  const m = await parseManifest(file, { checkImages: false });
  if (values.json) {
    console.log(JSON.stringify({ file, header: m.header, records: m.records.length, problems: m.problems.length, counts: countRecords(m.records, m.header?.languages) }, null, 1));
    return 0;
  }
  console.log(`${file}: ${m.records.length} records${m.header ? `, dataset '${m.header.name}'${m.header.version ? ` ${m.header.version}` : ''}` : ''}`);
  if (m.problems.length) console.log(`(${m.problems.length} problems: those lines are not counted; 'unir data validate ${file}' lists them)`);
  for (const line of [...formatCountTable(countRecords(m.records, m.header?.languages)), ...describeRecords(m.records)]) console.log(line);
  return 0;
}

interface EmojiCldrBuild {
  buildEmojiCldr(opts: { outDir?: string; force?: boolean; log?: (line: string) => void }): Promise<{ manifestPath: string; counts: unknown }>;
}

async function build(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('data build', argv, { force: { type: 'boolean' }, out: { type: 'string' } });
  const [name = 'emoji-cldr', ...extra] = positionals;
  if (!BUILDABLE.includes(name) || extra.length) {
    throw new UserError(`data build: unknown dataset '${extra[0] ?? name}'; buildable: ${BUILDABLE.join(', ')}`);
  }
  // Loaded on demand: the builder pulls in the emoji packages, which validate/stats do not need.
  const { buildEmojiCldr } = (await import('../../core/data/emoji-cldr/build')) as EmojiCldrBuild;
  const r = await buildEmojiCldr({ outDir: values.out, force: values.force, log: (line) => console.log(line) });
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
    throw new UserError(`data: unknown subcommand '${sub}'.${hint ? ` Did you mean '${hint}'?` : ''} Use one of ${SUBCOMMANDS.join(', ')}.`);
  },
};
