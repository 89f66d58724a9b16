import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSearchEngine, type SearchResponse } from '../../src/core/search/engine';
import { disposeBackend } from '../../src/core/backend';
import { registry } from '../../src/plugins';
import type { SearchManifest } from '../../src/core/search/index-files';
import { unir } from '../helpers/cli';

// One small trained run (smoke, 50 steps) for the whole file; test-unseen is the smallest split with images and chunks.
const tmp = mkdtempSync(join(tmpdir(), 'unir-search-cli-'));
const run = join(tmp, 'runs', 'smoke');
const SPLIT = 'test-unseen';
afterAll(async () => {
  await disposeBackend();
  rmSync(tmp, { recursive: true, force: true });
});

const indexOut: Record<string, ReturnType<typeof unir>> = {};
beforeAll(() => {
  const r = unir([
    'run',
    'smoke',
    '--out',
    join(tmp, 'runs'),
    '--run-id',
    'smoke',
    '--set',
    'curriculum.steps.stage1=20',
    '--set',
    'curriculum.steps.stage3=10',
  ]);
  expect(r.code, r.stderr).toBe(0);
  for (const ix of ['exact', 'ivf', 'lancedb']) indexOut[ix] = unir(['index', run, '--index', ix, '--split', SPLIT]);
}, 600_000);

const search = (query: string, ...flags: string[]): SearchResponse => {
  const r = unir(['search', run, query, '--json', '--split', SPLIT, ...flags]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as SearchResponse;
};
const manifest = (ix: string) =>
  JSON.parse(readFileSync(join(run, 'index', `${ix}-${SPLIT}`, 'search.json'), 'utf8')) as SearchManifest;

describe('unir index', () => {
  it('encodes every image and chunk of the split, prints counts and throughput, and writes search.json last', () => {
    for (const ix of ['exact', 'ivf', 'lancedb']) {
      const r = indexOut[ix]!;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/WARN|error/i);
      expect(r.stderr).toMatch(/unir index: texts 966\/966 \(\d+ items\/s\)/);
      const built = ix === 'ivf' ? String.raw` \(clustered false, rows 1284\)` : '';
      expect(r.stdout).toMatch(
        new RegExp(
          String.raw`^indexed 318 images \(\d+/s\) \+ 966 texts in de, en, ja \(\d+/s\) with \w+: 1284 vectors, dim 32\nindex built in \d+\.\d s${built}\nmodel [0-9a-f]{16} \(run smoke, checkpoint step 50\) → .*\n$`,
        ),
      );
      const m = manifest(ix);
      expect(m).toMatchObject({
        plugin: ix,
        split: SPLIT,
        runId: 'smoke',
        checkpointStep: 50,
        dim: 32,
        counts: { images: 318, texts: 966, skippedImages: 0 },
      });
      expect(m.retrievalIntents).toEqual(['find_image', 'find_document']);
      expect(m.slotLabels).toEqual(['object', 'time']);
    }
    expect(manifest('exact').model).toBe(manifest('lancedb').model);
    expect(manifest('ivf').model).toBe(manifest('exact').model);
  });
});

describe('unir search', () => {
  const intents = ['find_image', 'find_document', 'set_reminder', 'play_music'];
  const checkShape = (r: SearchResponse, lang: string) => {
    expect(r.lang).toBe(lang);
    expect(intents).toContain(r.intent);
    expect(r.intentConfidence).toBeGreaterThanOrEqual(0.25); // the argmax of 4 softmax probabilities: a shape check only (accuracy: below)
    expect(r.intentConfidence).toBeLessThanOrEqual(1);
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

  it("predicts the intents of the split's own queries far above chance (the search path's NLU, in one process)", async () => {
    // 4 intents: find_image and find_document are 40 % of the queries each, so a constant answer scores ≈ 0.41
    // and an untrained head 0.25–0.41; this 50-step run (20 NLU steps) scores ≈ 0.88 on them.
    const lines = readFileSync('data/emoji-cldr/manifest.jsonl', 'utf8').split('\n');
    const queries = lines
      .filter((l) => l.includes('"type":"query"') && l.includes(`"split":"${SPLIT}"`))
      .map((l) => JSON.parse(l) as { text: string; lang: string; intent: string; group: string | null })
      .filter((q) => ['en', 'de', 'ja'].includes(q.lang))
      .filter((_, i) => i % 9 === 0)
      .slice(0, 120);
    expect(queries.length).toBe(120);
    const engine = await openSearchEngine(run, { registry: registry(), split: SPLIT });
    let intentOk = 0;
    const noRetrieval = { n: 0, said: 0 };
    try {
      for (const q of queries) {
        const r = await engine.search(q.text, { lang: q.lang, k: 1 });
        if (r.intent === q.intent) intentOk++;
        if (q.group === null) {
          noRetrieval.n++;
          if (!r.retrieval) noRetrieval.said++;
        }
      }
    } finally {
      await engine.dispose();
    }
    expect(intentOk / queries.length).toBeGreaterThanOrEqual(0.6);
    // reminders and music (20 % of the queries) answered without retrieval: a model that always retrieves scores
    // 0 here, a constant find_image too; this run ≈ 0.7
    expect(noRetrieval.n).toBeGreaterThanOrEqual(10);
    expect(noRetrieval.said / noRetrieval.n).toBeGreaterThanOrEqual(0.5);
  });

  it('answers an English, a Japanese and a German query with intent, slots, semantic text and sorted top-10', () => {
    const en = search('please help me find a picture of a dog face from last month');
    checkShape(en, 'en');
    expect(en).toMatchObject({
      langRule: 'words',
      k: 10,
      index: { plugin: 'exact', split: SPLIT, count: 1284, runId: 'smoke', checkpointStep: 50 },
    });
    checkShape(search('先月保存した犬の顔の写真を見せて'), 'ja');
    checkShape(search('zeig mir das Bild von einem Hundegesicht'), 'de');
  });

  it('searches images by default when the intent asks for an image, texts for a document; --modality overrides', () => {
    // "show me the flag of Japan"-style queries: find_image → image results only (the default --modality auto)
    const img = search('show me the flag of Japan');
    expect(img).toMatchObject({
      intent: 'find_image',
      retrieval: true,
      filter: { modality: 'image', modalityFrom: 'intent', lang: null },
    });
    expect(img.results.map((h) => h.modality)).toEqual(new Array(10).fill('image'));
    const doc = search('finde das Dokument über Katzen');
    expect(doc).toMatchObject({
      intent: 'find_document',
      retrieval: true,
      filter: { modality: 'text', modalityFrom: 'intent' },
    });
    expect(new Set(doc.results.map((h) => h.modality))).toEqual(new Set(['text']));
    const all = search('show me the flag of Japan', '--modality', 'all');
    expect(all.filter).toEqual({ modality: 'all', modalityFrom: 'flag', lang: null });
    expect(all.results.map((h) => h.id)).toEqual(
      search('show me the flag of Japan', '--modality', 'all').results.map((h) => h.id),
    );
    const text = unir(['search', run, 'show me the flag of Japan', '--split', SPLIT]);
    expect(text.stdout).toMatch(
      /^top 10 image results \(exact index, split test-unseen, 1284 items\) \(images for intent find_image; --modality all searches both\):$/m,
    );
  });

  it('gives the same top-10 from exact and LanceDB, and the same answer again in a new process', () => {
    // find_image queries: the retrieval checks below must run (a non-retrieval intent would make them vacuous)
    const q = 'find me a picture of a cat from yesterday';
    const ex = search(q, '--index', 'exact', '--modality', 'all');
    const la = search(q, '--index', 'lancedb', '--modality', 'all');
    expect(ex.retrieval).toBe(true);
    expect(la.intent).toBe(ex.intent);
    expect(ex.results).toHaveLength(10);
    expect(la.results.map((h) => h.id)).toEqual(ex.results.map((h) => h.id));
    la.results.forEach((h, i) => expect(h.score).toBeCloseTo(ex.results[i]!.score, 4));
    const iv = search(q, '--index', 'ivf', '--modality', 'all'); // 1,284 rows: below annAbove, exact
    expect(iv.results).toEqual(ex.results);
    const again = search(q, '--index', 'exact', '--modality', 'all');
    expect(again.results).toEqual(ex.results);
    const images = search('find an image of a grinning face', '--modality', 'image', '--k', '3');
    expect(images.retrieval).toBe(true);
    expect(images.results.map((h) => h.modality)).toEqual(['image', 'image', 'image']);
    const de = search('finde das Dokument über Katzen', '--modality', 'text', '--same-lang');
    expect(de.retrieval).toBe(true);
    expect(de.results).toHaveLength(10);
    expect(new Set(de.results.map((h) => (h.modality === 'text' ? h.lang : '')))).toEqual(new Set(['de']));
  });

  it('says no retrieval for reminder and music intents instead of returning results', () => {
    const queries = [
      'remind me about the dentist tomorrow',
      'set a reminder for grinning face next week',
      'erinnere mich morgen an den Hund',
      'play the song dog face',
      '明日犬のことをリマインドして',
    ];
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
    expect(bad(['search', run, '   '])).toBe(
      `unir: search: the query is empty; give the words to search for, e.g. unir search ${run} "a dog face"\n`,
    );
    expect(bad(['search', run, 'dog', '--lang', 'xx'])).toMatch(
      /^unir: search: --lang: unknown language 'xx'; .*'auto' to detect it from the query\n$/,
    );
    expect(bad(['search', run, 'dog'])).toBe(
      `unir: ${run}: no index of split 'test' in index/; build it with 'unir index ${run}'\n`,
    );
    expect(bad(['search', run, 'dog', '--split', SPLIT, '--index', 'lancedbx'])).toMatch(
      /^unir: --index: unknown index 'lancedbx'\. Known: exact, ivf, lancedb\. Did you mean 'lancedb'\?\n$/,
    );
    expect(bad(['search', join(tmp, 'nope'), 'dog'])).toContain('not a run directory (no config.json)');
    const untrained = join(tmp, 'untrained');
    cpSync(join(run, 'config.json'), join(untrained, 'config.json'));
    expect(bad(['search', untrained, 'dog'])).toBe(
      `unir: ${untrained}: no checkpoint in checkpoints/ (the run has not trained a step yet); train it with 'unir run --resume ${untrained}' first\n`,
    );
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
      expect(bad(['search', run, 'dog', '--split', SPLIT, '--index', 'lancedb'])).toContain(
        `index was built by run 'smoke' (dim 64), but the query model is run 'smoke' (dim 32)`,
      );
    } finally {
      writeFileSync(metaPath, meta);
    }
  });
});
