import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResponse } from '../../src/core/search/engine';
import type { SearchManifest } from '../../src/core/search/index-files';
import { unir } from '../helpers/cli';

// One small trained run (smoke, 50 steps) for the whole file; test-unseen is the smallest split with images and chunks.
const tmp = mkdtempSync(join(tmpdir(), 'unir-search-cli-'));
const run = join(tmp, 'runs', 'smoke');
const SPLIT = 'test-unseen';
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const indexOut: Record<string, ReturnType<typeof unir>> = {};
beforeAll(() => {
  const r = unir(['run', 'smoke', '--out', join(tmp, 'runs'), '--run-id', 'smoke', '--set', 'curriculum.steps.stage1=20', '--set', 'curriculum.steps.stage3=10']);
  expect(r.code, r.stderr).toBe(0);
  for (const ix of ['exact', 'lancedb']) indexOut[ix] = unir(['index', run, '--index', ix, '--split', SPLIT]);
}, 600_000);

const search = (query: string, ...flags: string[]): SearchResponse => {
  const r = unir(['search', run, query, '--json', '--split', SPLIT, ...flags]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as SearchResponse;
};
const manifest = (ix: string) => JSON.parse(readFileSync(join(run, 'index', `${ix}-${SPLIT}`, 'search.json'), 'utf8')) as SearchManifest;

describe('unir index', () => {
  it('encodes every image and chunk of the split, prints counts and throughput, and writes search.json last', () => {
    for (const ix of ['exact', 'lancedb']) {
      const r = indexOut[ix]!;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/WARN|error/i);
      expect(r.stderr).toMatch(/unir index: texts 966\/966 \(\d+ items\/s\)/);
      expect(r.stdout).toMatch(/^indexed 318 images \(\d+\/s\) \+ 966 texts in de, en, ja \(\d+\/s\) with \w+: 1284 vectors, dim 32\nmodel [0-9a-f]{16} \(run smoke, checkpoint step 50\) → .*\n$/);
      const m = manifest(ix);
      expect(m).toMatchObject({ plugin: ix, split: SPLIT, runId: 'smoke', checkpointStep: 50, dim: 32, counts: { images: 318, texts: 966, skippedImages: 0 } });
      expect(m.retrievalIntents).toEqual(['find_image', 'find_document']);
      expect(m.slotLabels).toEqual(['object', 'time']);
    }
    expect(manifest('exact').model).toBe(manifest('lancedb').model);
  });
});

describe('unir search', () => {
  const intents = ['find_image', 'find_document', 'set_reminder', 'play_music'];
  const checkShape = (r: SearchResponse, lang: string) => {
    expect(r.lang).toBe(lang);
    expect(intents).toContain(r.intent);
    expect(r.intentConfidence).toBeGreaterThan(0.25); // argmax of 4 classes
    for (const s of r.slots) {
      expect(['object', 'time']).toContain(s.label);
      expect(r.query.slice(s.start, s.end)).toBe(s.text);
    }
    const objects = r.slots.filter((s) => s.label === 'object');
    expect(r.semanticText).toBe(objects.length ? objects.map((s) => s.text).join(' ') : r.query);
    expect(r.retrieval).toBe(r.intent === 'find_image' || r.intent === 'find_document');
    if (!r.retrieval) {
      expect(r.results).toEqual([]);
      expect(r.message).toContain(`intent '${r.intent}' needs no retrieval`);
      return;
    }
    expect(r.results.map((h) => h.rank)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const scores = r.results.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const h of r.results) {
      expect(h.score).toBeLessThanOrEqual(1 + 1e-5);
      if (h.modality === 'image') expect(existsSync(h.file) && h.file.endsWith(h.path)).toBe(true);
      else expect(['en', 'de', 'ja']).toContain(h.lang);
    }
  };

  it('answers an English, a Japanese and a German query with intent, slots, semantic text and sorted top-10', () => {
    const en = search('please help me find a picture of a dog face from last month');
    checkShape(en, 'en');
    expect(en).toMatchObject({ langRule: 'words', k: 10, filter: { modality: 'all', lang: null }, index: { plugin: 'exact', split: SPLIT, count: 1284, runId: 'smoke', checkpointStep: 50 } });
    checkShape(search('先月保存した犬の顔の写真を見せて'), 'ja');
    checkShape(search('zeig mir das Bild von einem Hundegesicht'), 'de');
  });

  it('gives the same top-10 from exact and LanceDB, and the same answer again in a new process', () => {
    const q = 'find me a picture of a cat from yesterday';
    const ex = search(q, '--index', 'exact', '--modality', 'all');
    const la = search(q, '--index', 'lancedb');
    expect(la.intent).toBe(ex.intent);
    if (ex.retrieval) {
      expect(la.results.map((h) => h.id)).toEqual(ex.results.map((h) => h.id));
      la.results.forEach((h, i) => expect(h.score).toBeCloseTo(ex.results[i]!.score, 4));
    }
    const again = search(q, '--index', 'exact');
    expect(again.results).toEqual(ex.results);
    const images = search('find an image of a grinning face', '--modality', 'image', '--k', '3');
    if (images.retrieval) expect(images.results.map((h) => h.modality)).toEqual(['image', 'image', 'image']);
    const de = search('finde das Dokument über Katzen', '--modality', 'text', '--same-lang');
    if (de.retrieval) expect(new Set(de.results.map((h) => (h.modality === 'text' ? h.lang : '')))).toEqual(new Set(['de']));
  });

  it('says no retrieval for reminder and music intents instead of returning results', () => {
    const queries = ['remind me about the dentist tomorrow', 'set a reminder for grinning face next week', 'erinnere mich morgen an den Hund', 'play the song dog face', '明日犬のことをリマインドして'];
    const answers = queries.map((q) => search(q));
    answers.forEach((r) => checkShape(r, r.lang));
    expect(answers.some((r) => !r.retrieval)).toBe(true);
  });
});

describe('unir search: bad input is one line and exit ≠ 0', () => {
  const bad = (args: string[]) => {
    const r = unir(args);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2); // one line + the final newline
    return r.stderr;
  };

  it('empty query, unknown language, missing index, no run, no checkpoint', () => {
    expect(bad(['search', run, '   '])).toBe(`unir: search: the query is empty; give the words to search for, e.g. unir search ${run} "a dog face"\n`);
    expect(bad(['search', run, 'dog', '--lang', 'xx'])).toMatch(/^unir: search: --lang: unknown language 'xx'; .*'auto' to detect it from the query\n$/);
    expect(bad(['search', run, 'dog'])).toBe(`unir: ${run}: no index of split 'test' in index/; build it with 'unir index ${run}'\n`);
    expect(bad(['search', run, 'dog', '--split', SPLIT, '--index', 'lancedbx'])).toMatch(/^unir: --index: unknown index 'lancedbx'\. Known: exact, lancedb\. Did you mean 'lancedb'\?\n$/);
    expect(bad(['search', join(tmp, 'nope'), 'dog'])).toContain('not a run directory (no config.json)');
    const untrained = join(tmp, 'untrained');
    cpSync(join(run, 'config.json'), join(untrained, 'config.json'));
    expect(bad(['search', untrained, 'dog'])).toBe(`unir: ${untrained}: no checkpoint in checkpoints/ (the run has not trained a step yet); train it with 'unir run --resume ${untrained}' first\n`);
    expect(bad(['index', untrained])).toContain('no checkpoint in checkpoints/');
  });

  it('an index built by another run or for another dimension', () => {
    const other = join(tmp, 'other');
    cpSync(run, other, { recursive: true });
    rmSync(join(other, 'run.json')); // run id = directory name 'other'; the copied index says 'smoke'
    const dir = join(other, 'index', `exact-${SPLIT}`);
    expect(bad(['search', other, 'dog', '--split', SPLIT])).toBe(
      `unir: ${dir}/index.json: index was built by run 'smoke' (dim 32), but the query model is run 'other' (dim 32); rebuild it with 'unir index the run you search'\n`,
    );
    const metaPath = join(run, 'index', `lancedb-${SPLIT}`, 'index.json');
    const meta = readFileSync(metaPath, 'utf8');
    writeFileSync(metaPath, meta.replace('"dim": 32', '"dim": 64'));
    try {
      expect(bad(['search', run, 'dog', '--split', SPLIT, '--index', 'lancedb'])).toContain(`index was built by run 'smoke' (dim 64), but the query model is run 'smoke' (dim 32)`);
    } finally {
      writeFileSync(metaPath, meta);
    }
  });
});
