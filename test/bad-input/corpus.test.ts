import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFakeRun } from '../helpers/fake-run';
import { loadExperiment } from '../../src/core/config/load';
import { resolveExperiment } from '../../src/core/config/experiment';
import { modelSpecParser } from '../../src/core/model/spec';
import { createRegistry } from '../../src/plugins';
import {
  brokenPluginExperiment,
  declaredPng,
  manifestEdited,
  manifestExperiment,
  manifestWith,
  truncatedPng,
  VALID,
} from './fixtures';

// The bad-input corpus: what a new user gets wrong (experiment files, --set and other flags, manifests, images,
// SQL, run directories), each run through the real CLI in its own process. Every case asserts: exit ≠ 0, exactly
// one line on stderr naming the file / field / flag and the fix, no stack trace, nothing on stdout, and that
// nothing already written was changed or added. The closing note of issue 19 lists these lines.

const REPO = resolve('.');
const BIN = join(REPO, 'bin/unir.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'unir-bad-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A finished store: two fake runs, imported with 'unir runs --rebuild'; and a second store an ATTACH could hit. */
const runsDir = join(tmp, 'store', 'runs');
const db = join(runsDir, 'unir.duckdb');
const other = join(tmp, 'store', 'other.duckdb');
beforeAll(() => {
  writeFakeRun(join(runsDir, 'alpha'), 'alpha', 1);
  writeFakeRun(join(runsDir, 'beta'), 'beta', 2);
  const r = cli(['runs', '--rebuild', '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  copyFileSync(db, other);
});

function cli(args: string[], o: { env?: Record<string, string>; cwd?: string } = {}) {
  // caches (decoded images, token tables) in the test's own folder, not the repository's .cache/unir
  const env = { ...process.env, UNIR_CACHE_DIR: join(tmp, 'cache'), ...o.env };
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: o.cwd ?? REPO,
    env,
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir` with its bytes (sorted by path): "nothing already written lost" compares these. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

interface Case {
  /** What the user got wrong. */
  name: string;
  /** Files the case needs, written into its own folder `dir` before the command runs. */
  setup?: (dir: string) => void;
  args: (dir: string) => string[];
  env?: Record<string, string>;
  /** The whole stderr line after 'unir: ' (a string: exactly; a RegExp: matched). */
  message: (dir: string) => string | RegExp;
  /** Default 2 (UserError). */
  code?: number;
  /** Folders whose files must be byte for byte what they were (default: the case's own folder). */
  untouched?: (dir: string) => string[];
  /** Paths that must not exist afterwards (e.g. the run folder of a run that failed before its first step). */
  absent?: (dir: string) => string[];
  /**
   * A run that failed after it started: the lines it printed before (the data it loaded, 'unir: '-prefixed) may
   * precede the message, which is the last line.
   */
  started?: boolean;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const RUN_TS = 'node bin/run-ts.mjs';
const SQL_EXAMPLE = 'give one SELECT statement, e.g. "SELECT run_id, status FROM runs"';
const storeUntouched = () => [join(tmp, 'store')];
const sql = (q: string) => () => ['runs', '--db', db, '--sql', q];
const exp = (dir: string, name: string, text: string) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), text);
};
const smokeSet =
  (...sets: string[]) =>
  () => ['run', 'smoke', '--dry-run', ...sets.flatMap((s) => ['--set', s])];
/** experiments/smoke.ts resolved as 'unir run smoke' resolves it: what its config.json holds. */
let smokeResolved: unknown;
const smokeConfig = () => smokeResolved;
beforeAll(async () => {
  const { input, source } = await loadExperiment('smoke');
  smokeResolved = resolveExperiment(input, createRegistry({ warn: () => {} }), {
    source,
    modelSpec: modelSpecParser,
  }).experiment;
});

const CASES: Case[] = [
  // ---- experiment files --------------------------------------------------------------------------------------
  {
    name: 'a syntax error in a .ts experiment: file:line:column and the compiler message (no "Transform failed")',
    setup: (d) => exp(d, 'exp.ts', "export default {\n  id: 'x',\n  seed: 1,,\n};\n"),
    args: (d) => ['run', join(d, 'exp.ts'), '--out', join(d, 'runs')],
    message: (d) => `${join(d, 'exp.ts')}:3:11: Expected identifier but found ","; fix the syntax there`,
  },
  {
    name: 'a .ts experiment cut off at the end',
    setup: (d) => exp(d, 'exp.ts', "export default {\n  id: 'x',\n"),
    args: (d) => ['run', join(d, 'exp.ts'), '--out', join(d, 'runs')],
    message: (d) => `${join(d, 'exp.ts')}:3:1: Expected identifier but found end of file; fix the syntax there`,
  },
  {
    name: 'an experiment that throws while loading: its line, and a trace command valid from the working directory',
    setup: (d) => exp(d, 'exp.ts', "const n = 2;\nthrow new Error('no data for ' + n);\nexport default {};\n"),
    args: (d) => ['run', join(d, 'exp.ts'), '--out', join(d, 'runs')],
    message: (d) =>
      `${join(d, 'exp.ts')}:2:7: cannot load: no data for 2; fix the file ('${RUN_TS} ${join(d, 'exp.ts')}' shows the full trace)`,
  },
  {
    name: 'invalid JSON experiment: line and column',
    setup: (d) => exp(d, 'exp.json', '{\n  "id": "x",\n  "seed": 1,\n}\n'),
    args: (d) => ['run', join(d, 'exp.json')],
    message: (d) =>
      `${join(d, 'exp.json')}: not valid JSON at line 4, column 1 (Expected double-quoted property name); fix it there`,
  },
  {
    name: 'an unknown field in an experiment',
    setup: (d) =>
      exp(
        d,
        'exp.json',
        JSON.stringify({
          id: 'x',
          epochs: 3,
          data: { dataset: { id: 'emoji-cldr' } },
          curriculum: { id: 'three-stage' },
        }),
      ),
    args: (d) => ['run', join(d, 'exp.json'), '--dry-run'],
    message: (d) =>
      `${join(d, 'exp.json')}: epochs: unknown field; valid fields here: id, description, plugins, seed, backend, data, model, curriculum, optimizer, eval, checkpointEvery, keepCheckpoints, observers; remove it or correct its name`,
  },
  {
    name: 'a wrong type in an experiment',
    setup: (d) =>
      exp(
        d,
        'exp.json',
        JSON.stringify({
          id: 'x',
          seed: 'one',
          data: { dataset: { id: 'emoji-cldr' } },
          curriculum: { id: 'three-stage' },
        }),
      ),
    args: (d) => ['run', join(d, 'exp.json'), '--dry-run'],
    message: (d) => `${join(d, 'exp.json')}: seed: Invalid input: expected number, received string`,
  },
  {
    name: 'an unknown plugin id in an experiment, with did-you-mean',
    setup: (d) =>
      exp(
        d,
        'exp.json',
        JSON.stringify({ id: 'x', data: { dataset: { id: 'emoji-cldr' } }, curriculum: { id: 'three-stag' } }),
      ),
    args: (d) => ['run', join(d, 'exp.json'), '--dry-run'],
    message: (d) =>
      new RegExp(
        `^${esc(join(d, 'exp.json'))}: curriculum\\.id: unknown curriculum 'three-stag'\\. Known: .*\\. Did you mean 'three-stage'\\?$`,
      ),
  },
  {
    name: 'an experiment name that does not exist',
    args: () => ['run', 'smok'],
    message: () =>
      /^experiment 'smok': no such file; give a path \(\.ts or \.json\) or a name in experiments\/ \(.*smoke.*\)$/,
  },
  {
    name: '--resume on a folder that is not a run',
    setup: (d) => mkdirSync(d, { recursive: true }),
    args: (d) => ['run', '--resume', d],
    message: (d) =>
      `${d}: not a run directory (no config.json); give a directory 'unir run' created, e.g. runs/<runId>`,
  },

  // ---- --set and other flags -------------------------------------------------------------------------------------
  {
    name: '--set with a value the schema refuses: blamed on the flag, not on experiments/smoke.ts',
    args: smokeSet('data.batchSize=1'),
    message: () => '--set data.batchSize=1: data.batchSize: Too small: expected number to be >=2',
  },
  {
    name: '--set naming a stage the curriculum does not have (curriculum.stages.stage9…)',
    args: smokeSet('curriculum.stages.stage9.until.steps=5'),
    message: () =>
      "--set curriculum.stages.stage9.until.steps=5: curriculum 'three-stage' has no stage 'stage9' (stages: stage1, stage2, stage3); a new stage needs until, train and terms (curriculum.stages.stage9.train: Invalid input (+1 more))",
  },
  {
    name: '--set with a misspelt field',
    args: smokeSet('optimizer.lrr=0.01'),
    message: () =>
      "--set optimizer.lrr=0.01: optimizer.lrr: unknown field; valid fields here: lr, weightDecay, beta1, beta2, epsilon, clipNorm, warmup, minLrRatio; did you mean 'lr'?",
  },
  {
    name: '--set with a field eval does not have (a data field set under eval is not ignored)',
    args: smokeSet('eval.maxGroups=5'),
    message: () =>
      '--set eval.maxGroups=5: eval.maxGroups: unknown field; valid fields here: metrics, batchSize, baselines; remove it or correct its name',
  },
  {
    name: '--set without =',
    args: smokeSet('seed'),
    message: () => "--set 'seed': expected path=value, e.g. --set curriculum.stages.stage1.weights.alpha=0.5",
  },
  {
    name: '--seed -1 (a negative number where a count is expected)',
    args: () => ['run', 'smoke', '--dry-run', '--seed', '-1'],
    message: () => "run: --seed '-1': expected a non-negative integer",
  },
  {
    name: '--k -3: the flag\'s own check, not "argument is ambiguous"',
    args: (d) => ['search', d, 'a dog face', '--k', '-3'],
    message: () => "search: --k '-3': expected a positive integer",
  },
  {
    name: 'a flag given no value before another flag',
    args: (d) => ['search', d, 'a dog face', '--k', '--json'],
    message: () => "unir search: --k needs a value; write --k VALUE. See 'unir search --help'.",
  },
  {
    name: 'an unknown --modality',
    args: (d) => ['search', d, 'a dog face', '--modality', 'video'],
    message: () => "search: --modality 'video': use one of auto, image, text, all",
  },
  {
    name: 'an unknown option',
    args: () => ['run', 'smoke', '--sed', '3'],
    message: () => /^unir run: Unknown option '--sed'.*See 'unir run --help'\.$/,
  },
  {
    name: 'an unknown command, with did-you-mean',
    args: () => ['rnu'],
    message: () => /^unknown command 'rnu'\. Did you mean 'run'\? Known: .*$/,
  },
  {
    name: 'an unknown --backend',
    args: () => ['--backend', 'gpu', 'doctor'],
    message: () => /^--backend: unknown backend 'gpu'\..* Use one of auto, tensorflow-gpu, tensorflow, wasm, cpu\.$/,
  },
  {
    name: 'UNIR_WASM_THREADS that is not a count',
    args: smokeSet('seed=2'),
    env: { UNIR_WASM_THREADS: 'two' },
    message: () => 'UNIR_WASM_THREADS=two: expected a whole number ≥ 1 (1 = single thread).',
  },

  // ---- SQL on the run store: read-only, one SELECT --------------------------------------------------------------
  {
    name: 'COPY … TO the store itself (it used to overwrite runs/unir.duckdb)',
    args: sql(`COPY (SELECT 'x' AS x) TO '${db}' (FORMAT csv)`),
    message: () => `runs --sql: COPY statements are refused (the run store is read-only here); ${SQL_EXAMPLE}`,
    untouched: storeUntouched,
  },
  {
    name: 'ATTACH another store read-write and DROP its table',
    args: sql(`ATTACH '${other}' AS o (READ_WRITE); DROP TABLE o.runs`),
    message: () => '2 statements in one query; give one SELECT statement at a time'.replace(/^/, 'runs --sql: '),
    untouched: storeUntouched,
  },
  {
    name: 'ATTACH alone',
    args: sql(`ATTACH '${other}' AS o (READ_WRITE)`),
    message: () => `runs --sql: ATTACH statements are refused (the run store is read-only here); ${SQL_EXAMPLE}`,
    untouched: storeUntouched,
  },
  {
    name: 'INSTALL an extension',
    args: sql('INSTALL httpfs'),
    message: () => `runs --sql: INSTALL/LOAD statements are refused (the run store is read-only here); ${SQL_EXAMPLE}`,
    untouched: storeUntouched,
  },
  {
    name: 'LOAD an extension',
    args: sql('LOAD httpfs'),
    message: () => `runs --sql: INSTALL/LOAD statements are refused (the run store is read-only here); ${SQL_EXAMPLE}`,
    untouched: storeUntouched,
  },
  {
    name: "read_text('/etc/passwd') inside a SELECT",
    args: sql("SELECT * FROM read_text('/etc/passwd')"),
    message: () =>
      `runs --sql: Permission Error: Cannot access file "/etc/passwd" - file system operations are disabled by configuration; queries read the run store's tables only (runs, configs, metrics, history)`,
    untouched: storeUntouched,
  },
  {
    name: 'several statements in one string',
    args: sql('SELECT 1; DELETE FROM runs'),
    message: () => 'runs --sql: 2 statements in one query; give one SELECT statement at a time',
    untouched: storeUntouched,
  },
  {
    name: 'a write statement',
    args: sql('DELETE FROM runs'),
    message: () => `runs --sql: DELETE statements are refused (the run store is read-only here); ${SQL_EXAMPLE}`,
    untouched: storeUntouched,
  },
  {
    name: 'SET to turn file access back on (the configuration is locked)',
    args: sql('SET enable_external_access = true'),
    message: () => `runs --sql: SET statements are refused (the run store is read-only here); ${SQL_EXAMPLE}`,
    untouched: storeUntouched,
  },
  {
    name: '--sql "" on a store that has runs (it used to say "no runs recorded")',
    args: sql(''),
    message: () => `runs --sql: the query is empty; ${SQL_EXAMPLE}`,
    untouched: storeUntouched,
  },
  {
    name: 'a query that is only a comment',
    args: sql('-- just a note'),
    message: () => `runs --sql: no SQL statement in the query; ${SQL_EXAMPLE}`,
    untouched: storeUntouched,
  },
  {
    name: 'bad SQL',
    args: sql('SELEC run_id FROM runs'),
    message: () => 'runs --sql: Parser Error: syntax error at or near "SELEC"',
    untouched: storeUntouched,
  },

  // ---- manifests and images, through 'unir run' (first problem + count) ------------------------------------------
  {
    name: "a manifest image path that leads out of the dataset folder with '..' (a real PNG: it used to train)",
    setup: (d) => {
      manifestWith(join(d, 'ds'), 2, (r) => ({ ...r, path: '../outside/dog.png' }));
      mkdirSync(join(d, 'outside'));
      copyFileSync(join(VALID, 'images', 'dog.png'), join(d, 'outside', 'dog.png'));
      manifestExperiment(d, join(d, 'ds', 'manifest.jsonl'));
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--out', join(d, 'runs')],
    message: (d) =>
      `${join(d, 'ds', 'manifest.jsonl')}:2: path: '../outside/dog.png' leads outside the manifest's folder ${join(d, 'ds')}; keep images inside, or allow the folder that holds them with the dataset option imageRoot (unir data validate --image-root DIR)`,
    untouched: (d) => [join(d, 'ds'), join(d, 'outside')],
    absent: (d) => [join(d, 'runs')], // a run that fails while loading its data leaves no folder
  },
  {
    name: 'a truncated image with checkImages: false and skipBadImages: false fails at first use, naming its line',
    setup: (d) => {
      manifestWith(join(d, 'ds'));
      writeFileSync(join(d, 'ds', 'images', 'dog.png'), truncatedPng(join(VALID, 'images', 'dog.png')));
      manifestExperiment(d, join(d, 'ds', 'manifest.jsonl'), { checkImages: false });
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--out', join(d, 'runs')],
    message: (d) =>
      new RegExp(
        `^${esc(join(d, 'ds', 'manifest.jsonl'))}:2: path: ${esc(join(d, 'ds', 'images', 'dog.png'))}: cannot decode image: .+; fix or replace the image, or set skipBadImages: true in the dataset config to leave bad images out$`,
      ),
    untouched: (d) => [join(d, 'ds')],
    started: true, // after the data lines: the image is first decoded when training starts
    absent: (d) => [join(d, 'runs')],
  },
  {
    name: 'a bad slot in a manifest (span past the end of the text)',
    setup: (d) => {
      manifestWith(join(d, 'ds'), 16, (r) => ({ ...r, slots: [{ label: 'object', start: 28, end: 99 }] }));
      manifestExperiment(d, join(d, 'ds', 'manifest.jsonl'));
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--out', join(d, 'runs')],
    message: (d) => `${join(d, 'ds', 'manifest.jsonl')}:16: slots[0].end: 99 is past the end of text (length 52)`,
    untouched: (d) => [join(d, 'ds')],
    absent: (d) => [join(d, 'runs')], // a run that fails while loading its data leaves no folder
  },
  {
    name: 'an unknown field in a manifest record (a typo is not ignored)',
    setup: (d) => {
      manifestWith(join(d, 'ds'), 2, (r) => ({ ...r, famliy: 'png' }));
      manifestExperiment(d, join(d, 'ds', 'manifest.jsonl'));
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--out', join(d, 'runs')],
    message: (d) =>
      `${join(d, 'ds', 'manifest.jsonl')}:2: famliy: unknown field; known fields: id, group, split, path, family`,
    untouched: (d) => [join(d, 'ds')],
    absent: (d) => [join(d, 'runs')], // a run that fails while loading its data leaves no folder
  },
  {
    name: 'an unknown dataset option (plugin configs declared with z.object used to drop it silently)',
    setup: (d) => manifestExperiment(d, join(VALID, 'manifest.jsonl'), { skipBad: true }),
    args: (d) => ['run', join(d, 'experiment.json'), '--dry-run'],
    message: (d) =>
      `${join(d, 'experiment.json')}: data.dataset.skipBad: unknown field of dataset 'manifest'; its fields: path, skipBadImages, checkImages, imageRoot, languages. Did you mean 'skipBadImages'?`,
  },
  {
    name: 'a misspelt loss option given with --set',
    args: smokeSet('curriculum.stages.stage1.terms[0].config.temprature=0.1'),
    message: () =>
      /^--set curriculum\.stages\.stage1\.terms\[0\]\.config\.temprature=0\.1: curriculum\.stages\.stage1\.terms\[0\]\.config\.temprature: unknown field of loss 'info-nce'; its fields: .*\. Did you mean 'temperature'\?$/,
  },

  // ---- what the data cannot give the stages: refused before the first step, no run folder left --------------------
  {
    name: 'a dataset with a single intent: intent-ce is refused at start (it used to crash in stage 2 with tfjs oneHot depth 1)',
    setup: (d) => {
      manifestEdited(join(d, 'ds'), (r) =>
        r.type === 'header'
          ? { ...r, intents: ['find_image'] }
          : r.type === 'query'
            ? { ...r, intent: 'find_image' }
            : r,
      );
      manifestExperiment(d, join(d, 'ds', 'manifest.jsonl'));
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--out', join(d, 'runs')],
    message: (d) =>
      `curriculum.stages.stage2, term 'intent' (intent-ce on query-nlu): dataset 'tiny' (${join(d, 'ds', 'manifest.jsonl')}) has 1 intent (find_image); intent classification needs at least 2: add queries of another intent (or list it in the header's intents), or drop the intent terms (--set curriculum.stages.stage2.terms.intent.weight=0 --set curriculum.stages.stage3.terms.intent.weight=0)`,
    absent: (d) => [join(d, 'runs')],
  },
  {
    name: 'the single intent is caught by --dry-run too',
    setup: (d) => {
      manifestEdited(join(d, 'ds'), (r) =>
        r.type === 'header'
          ? { ...r, intents: ['find_image'] }
          : r.type === 'query'
            ? { ...r, intent: 'find_image' }
            : r,
      );
      manifestExperiment(d, join(d, 'ds', 'manifest.jsonl'));
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--dry-run'],
    message: (d) =>
      `curriculum.stages.stage2, term 'intent' (intent-ce on query-nlu): dataset 'tiny' (${join(d, 'ds', 'manifest.jsonl')}) has 1 intent (find_image); intent classification needs at least 2: add queries of another intent (or list it in the header's intents), or drop the intent terms (--set curriculum.stages.stage2.terms.intent.weight=0 --set curriculum.stages.stage3.terms.intent.weight=0)`,
  },
  {
    name: 'a stage needing query-nlu on a train split without queries',
    setup: (d) => {
      manifestEdited(join(d, 'ds'), (r) => (r.type === 'query' && r.split === 'train' ? null : r));
      const f = manifestExperiment(d, join(d, 'ds', 'manifest.jsonl'));
      const e = JSON.parse(readFileSync(f, 'utf8'));
      e.curriculum.stages = { stage1: { skip: true } };
      writeFileSync(f, JSON.stringify(e));
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--out', join(d, 'runs')],
    message: (d) =>
      `curriculum.stages.stage2, term 'intent' (intent-ce on query-nlu): the train split of dataset 'tiny' (${join(d, 'ds', 'manifest.jsonl')}) has no 'query-nlu' examples (languages de, en, ja); add them to the data, drop the term (--set curriculum.stages.stage2.terms.intent.weight=0), or skip the stage (--set curriculum.stages.stage2.skip=true)`,
    absent: (d) => [join(d, 'runs')],
  },
  {
    name: 'one group in the train split: no in-batch negatives for the contrastive terms',
    setup: (d) => {
      manifestEdited(join(d, 'ds'), (r) => (r.split === 'train' && r.group === 'cat' ? { ...r, group: 'dog' } : r));
      manifestExperiment(d, join(d, 'ds', 'manifest.jsonl'));
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--out', join(d, 'runs')],
    message: (d) =>
      `curriculum.stages.stage1, term 'ti' (info-nce on image-caption): the train split of dataset 'tiny' (${join(d, 'ds', 'manifest.jsonl')}) has 1 group with 'image-caption' examples (languages de, en, ja); in-batch negatives need at least 2 (every other row of a batch would be a positive): add groups, or drop the term (--set curriculum.stages.stage1.terms.ti.weight=0)`,
    absent: (d) => [join(d, 'runs')],
  },
  {
    name: 'no slot labels for slot-ce',
    setup: (d) => {
      manifestEdited(join(d, 'ds'), (r) =>
        r.type === 'header' ? { ...r, slotLabels: [] } : r.type === 'query' ? { ...r, slots: [] } : r,
      );
      manifestExperiment(d, join(d, 'ds', 'manifest.jsonl'));
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--out', join(d, 'runs')],
    message: (d) =>
      `curriculum.stages.stage2, term 'slot' (slot-ce on query-nlu): dataset 'tiny' (${join(d, 'ds', 'manifest.jsonl')}) has no slot labels; slot tagging needs at least 1: add slots to its queries (or slotLabels to the header), or drop the slot terms (--set curriculum.stages.stage2.terms.slot.weight=0 --set curriculum.stages.stage3.terms.slot.weight=0)`,
    absent: (d) => [join(d, 'runs')],
  },
  {
    name: "an evaluated split the manifest lacks (default data.evalSplit 'val'): before anything is built, no run folder left",
    setup: (d) => {
      const f = manifestExperiment(d, join(VALID, 'manifest.jsonl'));
      const e = JSON.parse(readFileSync(f, 'utf8'));
      delete e.data.evalSplit;
      writeFileSync(f, JSON.stringify(e));
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--out', join(d, 'runs')],
    message: () =>
      `data.evalSplit: dataset 'tiny' (${resolve(VALID, 'manifest.jsonl')}) has no split 'val' (splits: train, test); set data.evalSplit to one of those, or add 'val' records to the manifest`,
    absent: (d) => [join(d, 'runs')],
  },
  {
    name: 'a header-only manifest (it used to validate as "0 records, 0 problems")',
    setup: (d) => {
      manifestEdited(join(d, 'ds'), (r) => (r.type === 'header' ? r : null));
      manifestExperiment(d, join(d, 'ds', 'manifest.jsonl'));
    },
    args: (d) => ['run', join(d, 'experiment.json'), '--out', join(d, 'runs')],
    message: (d) =>
      `${join(d, 'ds', 'manifest.jsonl')}:1: file: only a header, no records; add image, text and query lines after it (see data-cards/FORMAT.md)`,
    absent: (d) => [join(d, 'runs')],
  },

  // ---- broken plugins: checked against their contract at the first step of each stage ---------------------------
  {
    name: "a loss whose main term is not a scalar (it used to be tfjs's raw 'variableGrads(f) must return a scalar')",
    setup: (d) => brokenPluginExperiment(d, join(VALID, 'manifest.jsonl'), 'loss-not-scalar', REPO),
    args: (d) => ['run', join(d, 'experiment.ts'), '--out', join(d, 'runs')],
    message: () =>
      "curriculum.stages.stage1, term 'ti': loss 'row-loss': its main term 'rowLoss' (the term minimised) has shape [2], expected a scalar (rank 0; reduce it, e.g. with tf.mean); fix the loss plugin 'row-loss' (contract: src/core/loss/loss.ts)",
    started: true,
    absent: (d) => [join(d, 'runs')],
  },
  {
    name: 'the same broken loss under --dry-run (its timed steps are first steps too)',
    setup: (d) => brokenPluginExperiment(d, join(VALID, 'manifest.jsonl'), 'loss-not-scalar', REPO),
    args: (d) => ['run', join(d, 'experiment.ts'), '--dry-run'],
    message: () =>
      "curriculum.stages.stage1, term 'ti': loss 'row-loss': its main term 'rowLoss' (the term minimised) has shape [2], expected a scalar (rank 0; reduce it, e.g. with tf.mean); fix the loss plugin 'row-loss' (contract: src/core/loss/loss.ts)",
  },
  {
    name: 'a loss that is NaN at the first step (not the "lower the learning rate" advice: nothing was updated yet)',
    setup: (d) => brokenPluginExperiment(d, join(VALID, 'manifest.jsonl'), 'loss-nan', REPO),
    args: (d) => ['run', join(d, 'experiment.ts'), '--out', join(d, 'runs')],
    message: () =>
      "curriculum.stages.stage1, term 'ti': loss 'log-loss': its main term 'logLoss' (the term minimised) is NaN before any update, on finite features; fix the loss plugin 'log-loss' (contract: src/core/loss/loss.ts)",
    started: true,
    absent: (d) => [join(d, 'runs')],
  },
  {
    name: 'a fusion that returns the wrong shape',
    setup: (d) => brokenPluginExperiment(d, join(VALID, 'manifest.jsonl'), 'fusion-shape', REPO),
    args: (d) => ['run', join(d, 'experiment.ts'), '--out', join(d, 'runs')],
    message: () =>
      "curriculum.stages.joint, first step: model.fusion 'half-fusion' (fusion): late(embedding, nlu) returned shape [2, 8], expected a float32 tensor of shape [2, 16] (B, D); fix the fusion plugin 'half-fusion' (contract: src/core/model/fusion.ts)",
    started: true,
    absent: (d) => [join(d, 'runs')],
  },
  {
    name: 'an image encoder that returns NaN',
    setup: (d) => brokenPluginExperiment(d, join(VALID, 'manifest.jsonl'), 'image-nan', REPO),
    args: (d) => ['run', join(d, 'experiment.ts'), '--out', join(d, 'runs')],
    message: () =>
      "curriculum.stages.stage1, first step: model.image 'nan-image' (image encoder): encode(images) returned 32 non-finite values (NaN or Inf) of 32 before any update; fix the encoder plugin 'nan-image' (contract: src/core/model/encoder.ts)",
    started: true,
    absent: (d) => [join(d, 'runs')],
  },

  {
    name: 'a text encoder that returns int32 embeddings',
    setup: (d) => brokenPluginExperiment(d, join(VALID, 'manifest.jsonl'), 'text-int', REPO),
    args: (d) => ['run', join(d, 'experiment.ts'), '--out', join(d, 'runs')],
    message: () =>
      "curriculum.stages.stage1, first step: model.text 'int-text' (text encoder): encode(captions).embedding returned int32, expected a float32 tensor of shape [2, 16] (B, D); fix the encoder plugin 'int-text' (contract: src/core/model/encoder.ts)",
    started: true,
    absent: (d) => [join(d, 'runs')],
  },

  // ---- run ids ------------------------------------------------------------------------------------------------------
  {
    name: '--run-id of a folder holding another run: no --resume advice (it is a different run)',
    setup: (d) => {
      exp(
        join(d, 'runs', 'mine'),
        'config.json',
        JSON.stringify({ id: 'paper-three-stage', seed: 4, data: { batchSize: 64 } }),
      );
      exp(
        join(d, 'runs', 'mine'),
        'run.json',
        JSON.stringify({
          runId: 'mine',
          experiment: 'paper-three-stage',
          status: 'interrupted',
          globalStep: 3,
          totalSteps: 1200,
        }),
      );
    },
    args: (d) => ['run', 'smoke', '--out', join(d, 'runs'), '--run-id', 'mine'],
    message: (d) =>
      `--run-id mine: ${join(d, 'runs', 'mine')} already holds another run (experiment 'paper-three-stage', seed 4; differs in checkpointEvery, curriculum, data.augment); choose another --run-id, or leave --run-id out for a fresh one`,
  },
  {
    name: '--run-id of a folder holding an unfinished run of this same experiment and config: --resume is the advice',
    setup: (d) => {
      exp(join(d, 'runs', 'again'), 'config.json', JSON.stringify(smokeConfig(), null, 2));
      exp(
        join(d, 'runs', 'again'),
        'run.json',
        JSON.stringify({ runId: 'again', experiment: 'smoke', status: 'interrupted', globalStep: 30, totalSteps: 80 }),
      );
    },
    args: (d) => ['run', 'smoke', '--out', join(d, 'runs'), '--run-id', 'again'],
    message: (d) =>
      `--run-id again: ${join(d, 'runs', 'again')} already holds a run of this experiment ('smoke', same config) (interrupted at step 30 of 80); continue it with 'unir run --resume ${join(d, 'runs', 'again')}', or choose another --run-id, or leave --run-id out for a fresh one`,
  },

  // ---- run directories for report / compare --------------------------------------------------------------------
  {
    name: 'report on a folder that is not a run (it used to advise --resume, which then failed)',
    setup: (d) => exp(d, 'notes.txt', 'not a run\n'),
    args: (d) => ['report', d],
    message: (d) =>
      `report: ${d}: not a run directory (no run.json, config.json or metrics.json); give a folder 'unir run' wrote, e.g. runs/<runId> ('unir runs' lists them)`,
  },
  {
    name: 'report on a run that failed before any metrics',
    setup: (d) => {
      exp(d, 'config.json', '{}');
      exp(
        d,
        'run.json',
        JSON.stringify({
          runId: 'r',
          experiment: 'smoke',
          source: 'experiments/smoke.ts',
          status: 'failed',
          globalStep: 40,
          totalSteps: 80,
          error: 'Error in oneHot: depth must be >=2, but it is 1',
        }),
      );
      mkdirSync(join(d, 'checkpoints', 'step-00000040'), { recursive: true });
      exp(join(d, 'checkpoints', 'step-00000040'), 'model.json', '{}');
    },
    args: (d) => ['report', d],
    message: (d) =>
      `report: ${d}: the run failed at step 40 of 80 before any metrics (Error in oneHot: depth must be >=2, but it is 1); nothing to report. Fix that, then continue it from its last checkpoint with 'unir run --resume ${d}', then report it`,
  },
  {
    name: 'report on a run directory without run.json or config.json left',
    setup: (d) =>
      exp(
        d,
        'run.json',
        JSON.stringify({ runId: 'r', experiment: 'smoke', status: 'interrupted', globalStep: 3, totalSteps: 80 }),
      ),
    args: (d) => ['report', d],
    message: (d) =>
      `report: ${d}: the run has no config.json and no metrics, so it cannot be resumed or reported; start a new one with 'unir run smoke'`,
  },
  {
    name: 'report on a path that does not exist',
    args: (d) => ['report', join(d, 'nope')],
    message: (d) =>
      `report: ${join(d, 'nope')}: no such run directory; 'unir runs' lists the recorded runs (their folders are under runs/)`,
  },
  {
    name: 'compare with one folder that is not a run',
    setup: (d) => mkdirSync(join(d, 'empty'), { recursive: true }),
    args: (d) => ['compare', join(runsDir, 'alpha'), join(d, 'empty'), '--out', join(d, 'cmp')],
    message: (d) =>
      `compare: ${join(d, 'empty')}: not a run directory (no run.json, config.json or metrics.json); give a folder 'unir run' wrote, e.g. runs/<runId> ('unir runs' lists them)`,
    untouched: (d) => [d, join(tmp, 'store')],
  },
];

describe('bad input: one line naming the file, field or flag and the fix; exit ≠ 0; no stack trace; nothing lost', () => {
  CASES.forEach((c, i) => {
    it(c.name, () => {
      const dir = join(tmp, `case-${String(i).padStart(2, '0')}`);
      if (c.setup) c.setup(dir);
      const watched = (c.untouched ?? ((d: string) => [d]))(dir);
      const before = watched.map(snapshot);
      const r = cli(c.args(dir), { env: c.env });
      expect(r.code, r.stderr).toBe(c.code ?? 2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines.at(-1)).toBe(''); // lines end with a newline
      if (c.started) for (const l of lines.slice(0, -2)) expect(l, r.stderr).toMatch(/^unir: /);
      else expect(lines, r.stderr).toHaveLength(2); // one line and its newline
      expect(r.stderr).not.toMatch(/^\s+at |Error: .*\n\s+at /m);
      const last = lines.at(-2)!;
      expect(last.startsWith('unir: ')).toBe(true);
      const want = c.message(dir);
      const line = last.slice('unir: '.length);
      if (typeof want === 'string') expect(line).toBe(want);
      else expect(line).toMatch(want);
      expect(watched.map(snapshot), 'files written before the command are unchanged and nothing was added').toEqual(
        before,
      );
      for (const p of c.absent?.(dir) ?? []) expect(existsSync(p), `${p} is left behind`).toBe(false);
    });
  });
});

describe('bad input: unir data validate lists each problem as file:line: field: problem (exit 1)', () => {
  const VALIDATE: {
    name: string;
    setup: (d: string) => string;
    flags?: (d: string) => string[];
    problem: (d: string) => string | RegExp;
    summary?: string;
  }[] = [
    {
      name: 'a header-only manifest (it used to print "0 records, 0 problems")',
      setup: (d) => manifestEdited(d, (r) => (r.type === 'header' ? r : null)),
      problem: (d) =>
        `${join(d, 'manifest.jsonl')}:1: file: only a header, no records; add image, text and query lines after it (see data-cards/FORMAT.md)`,
    },
    {
      name: 'a manifest without the split an experiment evaluates (--experiment smoke: data.evalSplit val)',
      setup: (d) => manifestWith(d),
      flags: () => ['--experiment', 'smoke'],
      problem: (d) =>
        `${join(d, 'manifest.jsonl')}: experiments/smoke.ts: data.evalSplit: dataset 'tiny' (${join(d, 'manifest.jsonl')}) has no split 'val' (splits: train, test); set data.evalSplit to one of those, or add 'val' records to the manifest`,
      summary: "1 problem for experiment 'smoke'",
    },
    {
      name: 'a manifest with one intent, checked for an experiment whose stages learn intents',
      setup: (d) =>
        manifestEdited(d, (r) =>
          r.type === 'header'
            ? { ...r, intents: ['find_image'] }
            : r.type === 'query'
              ? { ...r, intent: 'find_image' }
              : r,
        ),
      flags: (d) => ['--experiment', manifestExperiment(join(d, 'exp'), join(d, 'manifest.jsonl'))],
      problem: (d) =>
        `${join(d, 'manifest.jsonl')}: ${join(d, 'exp', 'experiment.json')}: curriculum.stages.stage2, term 'intent' (intent-ce on query-nlu): dataset 'tiny' (${join(d, 'manifest.jsonl')}) has 1 intent (find_image); intent classification needs at least 2: add queries of another intent (or list it in the header's intents), or drop the intent terms (--set curriculum.stages.stage2.terms.intent.weight=0 --set curriculum.stages.stage3.terms.intent.weight=0)`,
      summary: `1 problem for experiment '${'<exp>'}'`,
    },
    {
      name: "an image path that leads out of the dataset folder ('..' after resolving)",
      setup: (d) => manifestWith(d, 2, (r) => ({ ...r, path: '../../../../../../../etc/passwd' })),
      problem: (d) =>
        `${join(d, 'manifest.jsonl')}:2: path: '../../../../../../../etc/passwd' leads outside the manifest's folder ${d}; keep images inside, or allow the folder that holds them with the dataset option imageRoot (unir data validate --image-root DIR)`,
    },
    {
      name: 'an absolute image path',
      setup: (d) => manifestWith(d, 2, (r) => ({ ...r, path: '/etc/passwd' })),
      problem: (d) => `${join(d, 'manifest.jsonl')}:2: path: must be relative to the manifest directory`,
    },
    {
      name: 'a truncated image',
      setup: (d) => {
        const f = manifestWith(d);
        writeFileSync(join(d, 'images', 'dog.png'), truncatedPng(join(VALID, 'images', 'dog.png')));
        return f;
      },
      problem: (d) =>
        new RegExp(`^${esc(join(d, 'manifest.jsonl'))}:2: path: cannot decode images/dog\\.png as an image: .+$`),
    },
    {
      name: 'an oversized image (declares 30000 × 30000 pixels: a decompression bomb)',
      setup: (d) => {
        const f = manifestWith(d);
        writeFileSync(join(d, 'images', 'dog.png'), declaredPng(30000, 30000));
        return f;
      },
      problem: (d) =>
        `${join(d, 'manifest.jsonl')}:2: path: cannot decode images/dog.png as an image: Input image exceeds pixel limit`,
    },
    {
      name: 'a missing image',
      setup: (d) => manifestWith(d, 2, (r) => ({ ...r, path: 'images/gone.png' })),
      problem: (d) => `${join(d, 'manifest.jsonl')}:2: path: file not found: images/gone.png`,
    },
    {
      name: 'a line that is not JSON',
      setup: (d) => manifestWith(d, 6, () => '{"type":"text",'),
      problem: (d) => `${join(d, 'manifest.jsonl')}:6: json: not valid JSON; write one JSON object per line`,
    },
    {
      name: 'a wrong type in a record',
      setup: (d) => manifestWith(d, 6, (r) => ({ ...r, text: 7 })),
      problem: (d) =>
        new RegExp(`^${esc(join(d, 'manifest.jsonl'))}:6: text: expected a string, got a number \\(7\\)$`),
    },
    {
      name: 'overlapping slots',
      setup: (d) =>
        manifestWith(d, 16, (r) => ({
          ...r,
          slots: [
            { label: 'object', start: 28, end: 36 },
            { label: 'time', start: 30, end: 40 },
          ],
        })),
      problem: (d) =>
        new RegExp(
          `^${esc(join(d, 'manifest.jsonl'))}:16: slots\\[1\\]: overlaps slots\\[0\\] \\[28, 36\\); spans must not overlap$`,
        ),
    },
  ];
  VALIDATE.forEach((c, i) => {
    it(c.name, () => {
      const dir = join(tmp, `validate-${i}`);
      const file = c.setup(dir);
      const flags = c.flags?.(dir) ?? [];
      const before = snapshot(dir);
      const r = cli(['data', 'validate', file, ...flags]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe('');
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      const want = c.problem(dir);
      if (typeof want === 'string') expect(lines[0]).toBe(want);
      else expect(lines[0]).toMatch(want);
      expect(lines[1]).toBe((c.summary ?? '1 problem in 1 line').replace('<exp>', flags[1] ?? ''));
      expect(snapshot(dir)).toEqual(before);
    });
  });

  it('--image-root allows the folder that holds the images (the documented way out)', () => {
    const dir = join(tmp, 'validate-root');
    const file = manifestWith(join(dir, 'ds'), 2, (r) => ({ ...r, path: '../shared/dog.png' }));
    mkdirSync(join(dir, 'shared'));
    copyFileSync(join(VALID, 'images', 'dog.png'), join(dir, 'shared', 'dog.png'));
    expect(cli(['data', 'validate', file]).code).toBe(1);
    const r = cli(['data', 'validate', file, '--image-root', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`${file}: 18 records (+ header 'tiny' 1), 0 problems`);
  });
});

describe('the trace command a failed experiment load suggests works from any working directory', () => {
  it('run from another folder, it prints a path that exists from there, and running it shows the error', () => {
    const dir = join(tmp, 'elsewhere');
    exp(dir, 'exp.ts', "throw new Error('no data here');\nexport default {};\n");
    const r = cli(['run', 'exp.ts'], { cwd: dir });
    expect(r.code).toBe(2);
    const m =
      /^unir: exp\.ts:1:7: cannot load: no data here; fix the file \('node (\S+) exp\.ts' shows the full trace\)\n$/.exec(
        r.stderr,
      );
    expect(m, r.stderr).not.toBeNull();
    expect(existsSync(resolve(dir, m![1]!))).toBe(true);
    const trace = spawnSync(process.execPath, [m![1]!, 'exp.ts'], { cwd: dir, encoding: 'utf8' });
    expect(trace.status).not.toBe(0);
    expect(trace.stderr).toContain('no data here');
    expect(trace.stderr).toMatch(/exp\.ts:1:7/);
  });
});
