import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
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
import { afterAll, describe, expect, it } from 'vitest';
import { manifestExperiment, VALID } from '../bad-input/fixtures';

// Issue 19 items 9 and 10: a run reads its dataset folder and writes nothing there (caches go to $UNIR_CACHE_DIR),
// and it says at its start what data it uses: groups, images, languages per split, chance R@10 (a warning above 0.2).

const tmp = mkdtempSync(join(tmpdir(), 'unir-run-data-'));
const cache = join(tmp, 'cache');
const readOnly: string[] = [];
afterAll(() => {
  for (const d of readOnly) chmodTree(d, true);
  rmSync(tmp, { recursive: true, force: true });
});

function unir(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/unir.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, UNIR_CACHE_DIR: cache, UNIR_WASM_THREADS: '1', ...env },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every entry under `dir` (folders too), with the bytes and mode of files: "nothing written" compares these. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out[`${relative(dir, p)}/`] = st.mode.toString(8);
        walk(p);
      } else out[relative(dir, p)] = `${st.mode.toString(8)} ${readFileSync(p).toString('base64')}`;
    }
  };
  walk(dir);
  return out;
}

function chmodTree(dir: string, writable: boolean) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) chmodTree(p, writable);
    else chmodSync(p, writable ? 0o644 : 0o444);
  }
  chmodSync(dir, writable ? 0o755 : 0o555);
}

describe('a read-only dataset folder', () => {
  it('validates and trains; nothing is created or changed in it; caches go to $UNIR_CACHE_DIR and are reused', () => {
    const ds = join(tmp, 'ro', 'ds');
    cpSync(VALID, ds, { recursive: true });
    rmSync(join(ds, '.cache'), { recursive: true, force: true }); // a cache an older unir wrote into the fixture
    const exp = manifestExperiment(join(tmp, 'ro', 'exp'), join(ds, 'manifest.jsonl'));
    chmodTree(ds, false); // as root this does not stop writes: the tree comparison below is what checks them
    readOnly.push(ds);
    const before = tree(ds);

    const v = unir(['data', 'validate', join(ds, 'manifest.jsonl')]);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    const first = unir(['run', exp, '--out', join(tmp, 'ro', 'runs')]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toMatch(/could not write/);
    expect(first.stderr).toContain('unir: decoded 3 train images at 16×16');
    expect(tree(ds)).toEqual(before);

    const dirs = readdirSync(join(cache, 'datasets'));
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(/^ds-[0-9a-f]{16}$/);
    const images = readdirSync(join(cache, 'datasets', dirs[0]!, 'images')).sort();
    expect(images.map((f) => f.replace(/-[0-9a-f]{16}\./, '-<key>.'))).toEqual([
      'test-16-<key>.f32',
      'test-16-<key>.json',
      'train-16-<key>.f32',
      'train-16-<key>.json',
    ]);
    expect(readdirSync(join(cache, 'datasets', dirs[0]!, 'tokens')).length).toBeGreaterThan(0);

    // a second run reads the cache: nothing decoded again, the folder still untouched
    const second = unir(['run', exp, '--out', join(tmp, 'ro', 'runs')]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('unir: decoded');
    expect(tree(ds)).toEqual(before);
  }, 300_000);
});

/** A manifest of `groups.train` + `groups.test` groups in en, de, fr, ja: one image, a caption and a chunk per language, a query. */
function bigManifest(dir: string, groups: { train: number; test: number }): string {
  mkdirSync(join(dir, 'images'), { recursive: true });
  copyFileSync(join(VALID, 'images', 'dog.png'), join(dir, 'images', 'a.png'));
  const langs = ['en', 'de', 'fr', 'ja'];
  const lines: unknown[] = [
    { type: 'header', name: 'big', languages: langs, intents: ['find_image', 'find_document'], slotLabels: ['object'] },
  ];
  const add = (split: string, n: number) => {
    for (let g = 0; g < n; g++) {
      const group = `${split}-${g}`;
      lines.push({ type: 'image', id: `img/${group}`, group, split, path: 'images/a.png' });
      for (const lang of langs) {
        lines.push({
          type: 'text',
          id: `cap/${group}/${lang}`,
          group,
          split,
          lang,
          role: 'caption',
          text: `thing ${g} ${lang}`,
        });
        lines.push({
          type: 'text',
          id: `chunk/${group}/${lang}`,
          group,
          split,
          lang,
          role: 'chunk',
          text: `thing ${g}: a thing in ${lang}`,
        });
      }
      const text = `show me thing ${g}`;
      lines.push({
        type: 'query',
        id: `q/${group}`,
        group,
        split,
        lang: 'en',
        text,
        intent: g % 2 ? 'find_image' : 'find_document',
        slots: [{ label: 'object', start: 8, end: text.length }],
        semanticText: `thing ${g}`,
      });
    }
  };
  add('train', groups.train);
  add('test', groups.test);
  writeFileSync(join(dir, 'manifest.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return join(dir, 'manifest.jsonl');
}

describe('every run prints the data it uses at its start', () => {
  it("smoke on another manifest: smoke's languages and maxGroups are named, with the chance R@10 they leave and a warning (they used to be kept silently)", () => {
    const manifest = bigManifest(join(tmp, 'big'), { train: 20, test: 30 });
    const r = unir([
      'run',
      'smoke',
      '--out',
      join(tmp, 'big-runs'),
      '--set',
      'data.dataset.id=manifest',
      '--set',
      `data.dataset.path=${manifest}`,
      '--set',
      'data.evalSplit=test',
      '--set',
      'curriculum.steps={"stage1":1,"stage2":1,"stage3":1}',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    // smoke's languages (en, de, ja of en, de, fr, ja) and maxGroups (test 12 of 30): chance R@10 = 10/12
    expect(lines).toContain(
      `unir: data: dataset 'big' (${resolve(manifest)}): splits train, test; languages en, de, ja`,
    );
    expect(lines).toContain(
      'unir: data: the experiment keeps data.dataset.languages (en, de, ja), data.maxGroups (train 24, val 12, test 12)',
    );
    expect(lines).toContain(
      'unir: data: train (train): 20 groups, 20 images, 120 texts, 20 queries, languages de, en, ja',
    );
    const test = lines.find((l) => l.startsWith('unir: data: test ('));
    expect(test).toMatch(
      /^unir: data: test \(evaluated after every stage, final test\): 12 of 30 groups \(data\.maxGroups\.test 12\), 12 images, 72 texts, \d+ quer(y|ies), languages de, en, ja, chance R@10 \(t2i\) 0\.833$/,
    );
    expect(lines).toContain(
      'unir: warning: test: a random ranking already scores R@10 0.833 on text→image (12 groups, 12 images), above 0.2: its R@10 cannot tell a model from chance; raise data.maxGroups.test (12; the split has 30 groups)',
    );
    // at the start: before the first training line
    const run = at('run smoke--');
    expect(run).toBeGreaterThan(0);
    expect(at('unir: data: dataset')).toBeLessThan(run);
    expect(at('unir: warning: test:')).toBeLessThan(run);
    // the exact chance value is what metrics.json records for the chance baseline on the same split
    const dir = /^finished: (.+)$/m.exec(r.stdout)![1]!;
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(metrics.final.baselines.chance.t2i.mean['R@10']).toBeCloseTo(10 / 12, 10);
  }, 300_000);

  it('the warning follows the chance value: 30 evaluated groups warn (R@10 0.333), 60 do not (0.167)', () => {
    const manifest = bigManifest(join(tmp, 'big30'), { train: 20, test: 30 });
    const r = unir([
      'run',
      'smoke',
      '--dry-run',
      '--set',
      'data.dataset.id=manifest',
      '--set',
      `data.dataset.path=${manifest}`,
      '--set',
      'data.evalSplit=test',
      '--set',
      'data.maxGroups.test=30',
      '--set',
      'data.dataset.languages=["en"]',
    ]);
    expect(r.code, r.stderr).toBe(0);
    // 30 groups of one image: chance R@10 = 10/30 = 0.333 > 0.2, still a warning; the en-only captions change nothing
    expect(r.stdout).toMatch(
      /^data: test \(evaluated after every stage, final test\): 30 groups, 30 images, 60 texts, \d+ quer(y|ies), languages en, chance R@10 \(t2i\) 0\.333$/m,
    );
    expect(r.stdout).toContain('warning: test: a random ranking already scores R@10 0.333');
    const big = bigManifest(join(tmp, 'bigger'), { train: 20, test: 60 });
    const ok = unir([
      'run',
      'smoke',
      '--dry-run',
      '--set',
      'data.dataset.id=manifest',
      '--set',
      `data.dataset.path=${big}`,
      '--set',
      'data.evalSplit=test',
      '--set',
      'data.maxGroups={}',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /^data: test \(evaluated after every stage, final test\): 60 groups, 60 images, .*chance R@10 \(t2i\) 0\.167$/m,
    );
    expect(ok.stdout).not.toContain('warning: test:');
  }, 300_000);
});
