import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COUNTS_FILE, MANIFEST_FILE, emojiCldrBuildVersion } from '../../../src/plugins/datasets/emoji-cldr/build';
import { unir } from '../../helpers/cli';

const BROKEN = 'test/fixtures/manifests/broken/manifest.jsonl';

describe('unir data', () => {
  it('validate on a broken manifest: every problem line, the count, exit 1, no stack trace', () => {
    const r = unir(['data', 'validate', BROKEN]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(30);
    expect(lines[0]).toBe(`${BROKEN}:3: json: not valid JSON; write one JSON object per line`);
    expect(lines).toContain(`${BROKEN}:18: slots[0].end: 12 is past the end of text (length 8)`);
    expect(lines).toContain(
      `${BROKEN}:15: path: cannot decode images/not-an-image.png as an image: Input file contains unsupported image format`,
    );
    expect(lines.at(-1)).toBe('29 problems in 25 lines');
    expect(r.stderr).toBe('');
    expect(r.stdout + r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('validate on the valid fixture: exit 0 and the split × kind × language table; --no-images skips decoding', () => {
    const r = unir(['data', 'validate', 'test/fixtures/manifests/valid/manifest.jsonl']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([
      "test/fixtures/manifests/valid/manifest.jsonl: 18 records (+ header 'tiny' 1), 0 problems",
      'split  kind     en  de  ja  total',
      'train  image     -   -   -      3',
      'train  caption   2   1   1      4',
    ]);
    const j = unir(['data', 'validate', BROKEN, '--no-images', '--json']);
    expect(j.code).toBe(1);
    const out = JSON.parse(j.stdout) as { problems: { line: number }[]; badLines: number };
    expect(out.problems).toHaveLength(27);
    expect(out.problems.map((p) => p.line)).not.toContain(14);
  });

  it('stats prints the count table, groups per split and slot counts', () => {
    const r = unir(['data', 'stats', 'test/fixtures/manifests/valid/manifest.jsonl']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('train  query     3   1   0      4');
    expect(r.stdout).toMatch(/^train +2 +jpg 1, png 1, svg 1 +find_document 2, find_image 1, play_music 1 +1$/m);
    expect(r.stdout).toContain('slots: object 5, time 2');
    expect(r.stdout).toContain('slot spans not on Intl.Segmenter word boundaries: 0');
  });

  it('build calls the emoji-cldr builder (an up-to-date build in --out is kept, so nothing is rebuilt)', () => {
    const out = mkdtempSync(join(tmpdir(), 'unir-build-'));
    const header = {
      type: 'header',
      name: 'emoji-cldr',
      version: emojiCldrBuildVersion(),
      languages: ['en'],
      intents: [],
      slotLabels: [],
    };
    writeFileSync(join(out, MANIFEST_FILE), `${JSON.stringify(header)}\n`);
    writeFileSync(join(out, COUNTS_FILE), '{}');
    const r = unir(['data', 'build', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`manifest: ${join(out, MANIFEST_FILE)}`);
  });

  it.each([
    [
      ['data', 'valdate', BROKEN],
      "unir: data: unknown subcommand 'valdate'. Did you mean 'validate'? Use one of validate, build, stats.",
    ],
    [
      ['data', 'validate'],
      "unir: data validate: give the manifest path, e.g. 'unir data validate data/emoji-cldr/manifest.jsonl'",
    ],
    [
      ['data', 'stats', 'nope.jsonl'],
      'unir: nope.jsonl: manifest not found; give the path of a manifest.jsonl (see data-cards/FORMAT.md)',
    ],
    [['data', 'build', 'coco'], "unir: data build: unknown dataset 'coco'; buildable: emoji-cldr"],
  ])('bad input %j: one line on stderr, exit 2', (args, message) => {
    const r = unir(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([message]);
  });
});
