import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { datasetCacheDir } from '../../../src/core/data/cache-dir';
import { formatProblem, parseManifest, type QueryRecord } from '../../../src/core/data/manifest-schema';

const BROKEN = 'test/fixtures/manifests/broken/manifest.jsonl';
const VALID = 'test/fixtures/manifests/valid/manifest.jsonl';

// The exact messages are part of the format's contract (data-cards/FORMAT.md).
const EXPECTED_BROKEN = [
  '3: json: not valid JSON; write one JSON object per line',
  '4: json: expected a JSON object, got an array',
  "5: type: unknown record type 'video'; use one of header, image, text, query",
  '6: type: missing; use one of header, image, text, query',
  "8: lang: unknown language 'xx'; use a BCP-47 primary code known to Intl.DisplayNames, e.g. en, de, zh, ja, th",
  "9: id: duplicate id 'cap/ok' (first on line 7)",
  "10: split: invalid split 'training'; use train, val, test or test-<name> (a-z, 0-9), e.g. test-unseen",
  "11: role: expected 'caption' or 'chunk', got 'title'",
  '11: text: must not be empty',
  "12: lang: 'fr' is not among the header's languages (en, de); add it to the header or fix this record",
  "13: lang: 'zh-Hant' is not a primary language code; use 'zh'",
  '14: path: file not found: images/missing.png',
  '15: path: cannot decode images/not-an-image.png as an image: Input file contains unsupported image format',
  '16: famliy: unknown field; known fields: id, group, split, path, family',
  '17: path: must be relative to the manifest directory',
  '18: slots[0].end: 12 is past the end of text (length 8)',
  '19: slots[1]: overlaps slots[0] [5, 13); spans must not overlap',
  '20: slots[0]: start 5 is not before end 5',
  '21: slots[0].endWord: 4 is past the last word (text has 3 words by Intl.Segmenter)',
  '22: slots[0]: give start/end (UTF-16 offsets) or startWord/endWord (word offsets), not both',
  "23: intent: invalid intent 'Play-Music'; use lower case a-z, 0-9 and _ starting with a letter (e.g. find_image)",
  '24: group: missing; expected a string, or null when the intent needs no retrieval',
  '24: semanticText: missing; expected a string',
  "25: intent: 'find_document' is not among the header's intents (find_image, play_music); add it to the header or fix this record",
  "25: slots[0].label: 'place' is not among the header's slotLabels (object, time); add it to the header or fix this record",
  '26: type: a header is allowed only as the first line',
  '27: id: expected a string, got a number (7)',
  '27: group: must not be empty',
  '28: slots[0].start: must be ≥ 0, got -1',
].map((s) => `${BROKEN}:${s}`);

function tmpManifest(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'unir-manifest-'));
  const file = join(dir, 'manifest.jsonl');
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('parseManifest', () => {
  it('reports every problem of the broken corpus with its exact message, one per offending field', async () => {
    const m = await parseManifest(BROKEN);
    expect(m.problems.map(formatProblem)).toEqual(EXPECTED_BROKEN);
    // Only the good lines survive: the header, img/ok, cap/ok (line 7) and q/ok.
    expect(m.records.map((r) => `${r.line}:${r.id}`)).toEqual(['2:img/ok', '7:cap/ok', '29:q/ok']);
    expect(m.header?.name).toBe('broken');
  });

  it('marks image-file problems as kind image (skippable), everything else as record', async () => {
    const m = await parseManifest(BROKEN);
    expect(m.problems.filter((p) => p.kind === 'image').map((p) => p.line)).toEqual([14, 15]);
  });

  it('without image checks, missing and undecodable files are not reported', async () => {
    const m = await parseManifest(BROKEN, { checkImages: false });
    expect(m.problems).toHaveLength(EXPECTED_BROKEN.length - 2);
    expect(m.records.map((r) => r.id)).toEqual(['img/ok', 'cap/ok', 'img/missing', 'img/text', 'q/ok']);
  });

  it('parses the valid fixture and normalises word offsets to UTF-16 char offsets', async () => {
    const m = await parseManifest(VALID);
    expect(m.problems).toEqual([]);
    expect(m.lines).toBe(19); // one blank line is skipped
    expect(m.records).toHaveLength(18);
    const q = m.records.find((r) => r.id === 'q/cat/en/0/train') as QueryRecord;
    // "find a picture of cat face from yesterday": words 4..6 = "cat face", 7..8 = "yesterday"
    expect(q.slots).toEqual([
      { label: 'object', start: 18, end: 26 },
      { label: 'time', start: 32, end: 41 },
    ]);
    expect(q.text.slice(18, 26)).toBe(q.semanticText);
    const char = m.records.find((r) => r.id === 'q/dog/en/0/train') as QueryRecord;
    expect(char.slots).toEqual([
      { label: 'object', start: 28, end: 36 },
      { label: 'time', start: 42, end: 52 },
    ]);
    expect(m.records.find((r) => r.id === 'q/none/en/0/train')).toMatchObject({ group: null, intent: 'play_music' });
  });

  it('counts words with Intl.Segmenter: Thai without spaces has word offsets too', async () => {
    const text = 'ช่วยหารูปหน้าสุนัขหน่อย'; // ช่วย หา รูป หน้า สุนัข หน่อย
    const file = tmpManifest([
      JSON.stringify({
        type: 'query',
        id: 'q',
        group: 'dog',
        split: 'train',
        lang: 'th',
        text,
        intent: 'find_image',
        slots: [{ label: 'object', startWord: 3, endWord: 5 }],
        semanticText: 'หน้าสุนัข',
      }),
    ]);
    const m = await parseManifest(file);
    expect(m.problems).toEqual([]);
    const q = m.records[0] as QueryRecord;
    expect(text.slice(q.slots[0]!.start, q.slots[0]!.end)).toBe('หน้าสุนัข');
  });

  it('catches overlaps with an earlier, longer span that is not the nearest one', async () => {
    const slots = [
      { label: 'a', start: 0, end: 10 },
      { label: 'b', start: 2, end: 3 },
      { label: 'c', start: 5, end: 6 },
    ];
    const file = tmpManifest([
      JSON.stringify({
        type: 'query',
        id: 'q',
        group: null,
        split: 'val',
        lang: 'en',
        text: 'abcdefghijkl',
        intent: 'x',
        slots,
        semanticText: '',
      }),
    ]);
    const m = await parseManifest(file);
    expect(m.problems.map((p) => `${p.field}: ${p.message}`)).toEqual([
      'slots[1]: overlaps slots[0] [0, 10); spans must not overlap',
      'slots[2]: overlaps slots[0] [0, 10); spans must not overlap',
    ]);
  });

  it('accepts test-<name> splits, null groups, CRLF line ends and a BOM', async () => {
    const rec = { type: 'text', id: 't', group: 'g', split: 'test-unseen', lang: 'ja', role: 'chunk', text: '犬' };
    const file = tmpManifest([`\uFEFF${JSON.stringify(rec)}\r`, '']);
    const m = await parseManifest(file);
    expect(m.problems).toEqual([]);
    expect(m.records[0]).toMatchObject({ split: 'test-unseen', line: 1 });
  });

  it('keeps an optional query subset and names a malformed one', async () => {
    const q = (id: string, subset?: unknown) =>
      JSON.stringify({
        type: 'query',
        id,
        group: null,
        split: 'test',
        lang: 'en',
        text: 'play jazz',
        intent: 'play_music',
        slots: [],
        semanticText: 'jazz',
        ...(subset === undefined ? {} : { subset }),
      });
    const m = await parseManifest(tmpManifest([q('a', 'held-out'), q('b'), q('c', 'Held Out'), q('d', 3)]));
    expect(m.records.map((r) => [r.id, (r as QueryRecord).subset])).toEqual([
      ['a', 'held-out'],
      ['b', undefined],
    ]);
    expect(m.problems.map((p) => `${p.line}: ${p.field}: ${p.message}`)).toEqual([
      "3: subset: invalid subset 'Held Out'; use lower case a-z, 0-9, _ and - starting with a letter (e.g. held-out)",
      '4: subset: expected a string, got a number (3)',
    ]);
  });

  it('an empty manifest is one problem; a missing one is a UserError naming it', async () => {
    const m = await parseManifest(tmpManifest(['', '  ']));
    expect(m.problems.map((p) => `${p.line}: ${p.field}: ${p.message}`)).toEqual([
      '1: file: no records; a manifest needs image, text or query lines',
    ]);
    await expect(parseManifest('nope/manifest.jsonl')).rejects.toThrow(
      'nope/manifest.jsonl: manifest not found; give the path of a manifest.jsonl (see data-cards/FORMAT.md)',
    );
  });
});

describe('parseManifest: the line checks of a clean manifest, cached', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('serves the next parse from the cache, never for other bytes, a manifest with problems or a broken entry', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'unir-parse-cache-'));
    vi.stubEnv('UNIR_CACHE_DIR', join(tmp, 'cache'));
    cpSync('test/fixtures/manifests/valid', join(tmp, 'ds'), { recursive: true });
    const file = join(tmp, 'ds', 'manifest.jsonl');
    const entry = join(datasetCacheDir({ manifestPath: file }), 'parsed.json');
    const parse = () => parseManifest(file, { checkImages: false });
    const first = await parse();
    expect(first.problems).toEqual([]);
    expect(existsSync(entry)).toBe(true);
    expect(await parse()).toEqual(first);
    // the entry is what the next parse returns: a text changed inside it shows up
    const [key, body] = readFileSync(entry, 'utf8').split(/\n(.*)/s) as [string, string];
    const i = first.records.findIndex((r) => r.type === 'text');
    writeFileSync(
      entry,
      `${key}\n${body.replace(JSON.stringify((first.records[i] as { text: string }).text), '"from the cache"')}`,
    );
    expect(((await parse()).records[i] as { text: string }).text).toBe('from the cache');
    // other bytes: parsed again (and the entry replaced)
    appendFileSync(
      file,
      '{"type":"text","id":"cap/new","group":"dog","split":"train","lang":"en","role":"caption","text":"a new dog"}\n',
    );
    const edited = await parse();
    expect(edited.records.length).toBe(first.records.length + 1);
    expect((edited.records[i] as { text: string }).text).toBe((first.records[i] as { text: string }).text);
    expect(await parse()).toEqual(edited);
    // a half-written entry: parsed again, nothing thrown
    writeFileSync(entry, readFileSync(entry, 'utf8').slice(0, 500));
    expect(await parse()).toEqual(edited);
    // problems: reported on every parse, nothing cached
    rmSync(entry);
    appendFileSync(
      file,
      '{"type":"text","id":"cap/bad","group":"dog","split":"train","lang":"en","role":"title","text":"x"}\n',
    );
    for (let k = 0; k < 2; k++) expect((await parse()).problems.map((p) => p.field)).toEqual(['role']);
    expect(existsSync(entry)).toBe(false);
    rmSync(tmp, { recursive: true, force: true });
  });
});
