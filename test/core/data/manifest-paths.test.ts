import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifestDataset } from '../../../src/core/data/load-manifest';
import { formatProblem, parseManifest } from '../../../src/core/data/manifest-schema';

// <tmp>/outside/dog.png and <tmp>/outside/passwd (not an image), a dataset in <tmp>/ds/ whose manifest points
// at them with '..' paths.
const tmp = mkdtempSync(join(tmpdir(), 'unir-manifest-paths-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ds = join(tmp, 'ds');
const outside = join(tmp, 'outside');
cpSync('test/fixtures/manifests/valid', ds, { recursive: true });
mkdirSync(outside);
cpSync(join(ds, 'images', 'dog.png'), join(outside, 'dog.png'));
writeFileSync(join(outside, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');

/** The valid fixture with the path of image line `line` (2 = img/png/dog) replaced. */
function manifestWith(name: string, line: number, path: string): string {
  const lines = readFileSync(join(ds, 'manifest.jsonl'), 'utf8').split('\n');
  const rec = JSON.parse(lines[line - 1]!) as { path: string };
  lines[line - 1] = JSON.stringify({ ...rec, path });
  const file = join(ds, name);
  writeFileSync(file, lines.join('\n'));
  return file;
}

const outsideMsg = (path: string, where = `the manifest's folder ${ds}`) =>
  `path: '${path}' leads outside ${where}; keep images inside, or allow the folder that holds them with the dataset option imageRoot (unir data validate --image-root DIR)`;

describe('manifest image paths stay inside the dataset folder', () => {
  it("a '..' path out of the folder is a problem on its line, reported before the file is opened (not a decode error)", async () => {
    for (const [path, checkImages] of [
      ['../outside/passwd', true],
      ['../../../../../../../../etc/passwd', true],
      ['../outside/dog.png', false],
    ] as const) {
      const file = manifestWith('escape.jsonl', 2, path);
      const m = await parseManifest(file, { checkImages });
      expect(m.problems.map(formatProblem)).toEqual([`${file}:2: ${outsideMsg(path)}`]);
      expect(m.records.some((r) => r.type === 'image' && r.id === 'img/png/dog')).toBe(false);
    }
  });

  it('a valid PNG outside the folder no longer validates or loads', async () => {
    const file = manifestWith('png-outside.jsonl', 2, '../outside/dog.png');
    await expect(loadManifestDataset(file)).rejects.toThrow(`${file}:2: ${outsideMsg('../outside/dog.png')}`);
    await expect(loadManifestDataset(file, { skipBadImages: true })).rejects.toThrow(outsideMsg('../outside/dog.png')); // not an image problem: never skipped
  });

  it("'..' that stays inside after resolving is fine; absolute paths stay refused", async () => {
    const inside = manifestWith('inside.jsonl', 2, 'images/../images/dog.png');
    expect((await parseManifest(inside)).problems).toEqual([]);
    const abs = manifestWith('abs.jsonl', 2, join(outside, 'dog.png'));
    expect((await parseManifest(abs)).problems.map(formatProblem)).toEqual([
      `${abs}:2: path: must be relative to the manifest directory`,
    ]);
  });

  it('imageRoot allows a folder above the manifest: the image loads from there; other escapes stay refused', async () => {
    const file = manifestWith('rooted.jsonl', 2, '../outside/dog.png');
    const loaded = await loadManifestDataset(file, { imageRoot: tmp });
    expect(loaded.images.find((im) => im.id === 'img/png/dog')!.file).toBe(join(outside, 'dog.png'));
    const etc = manifestWith('etc.jsonl', 2, '../../../../../../../../etc/passwd');
    expect((await parseManifest(etc, { imageRoot: tmp })).problems.map(formatProblem)).toEqual([
      `${etc}:2: ${outsideMsg('../../../../../../../../etc/passwd', `the manifest's folder and imageRoot '${tmp}'`)}`,
    ]);
    await expect(parseManifest(file, { imageRoot: join(tmp, 'nope') })).rejects.toThrow(
      `imageRoot '${join(tmp, 'nope')}': no such folder; give the folder that holds the dataset's images`,
    );
  });
});
