import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderUmapHtml, umapFigures, type MapPoint } from '../../../src/core/umap/page';
import { openInChromium } from '../../helpers/browser';
import { rng } from '../../helpers/fake-run';

const tmp = mkdtempSync(join(tmpdir(), 'unir-umap-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function input() {
  const r = rng(5);
  const points: MapPoint[] = [];
  for (let g = 0; g < 6; g++) {
    for (const lang of ['en', 'de', 'ja'])
      points.push({ id: `t${g}${lang}`, modality: 'text', lang, group: `g${g}`, label: `${lang} text ${g}` });
    points.push({
      id: `i${g}`,
      modality: 'image',
      group: `g${g}`,
      label: `img ${g}`,
      thumb: 'data:image/png;base64,iVBORw0KGgo=',
    });
  }
  const n = points.length;
  return {
    title: 'test map',
    points,
    coords2: Float32Array.from({ length: n * 2 }, () => r()),
    coords3: Float32Array.from({ length: n * 3 }, () => r()),
    trustworthiness: 0.91,
    alignment: { translations: 0.6, random: 0.1, score: 0.5, pairs: 18 },
  };
}

describe('UMAP page', () => {
  it('has one trace per language and image, and a second set per modality, hidden', () => {
    const [f2, f3] = umapFigures(input());
    expect(f2!.data.map((t) => `${t.name}:${t.visible}`)).toEqual([
      'de:true',
      'en:true',
      'ja:true',
      'image:true',
      'text:false',
      'image:false',
    ]);
    expect(f3!.data[0]!.type).toBe('scatter3d');
    const en = f2!.data.find((t) => t.name === 'en')!;
    expect(en.text).toEqual([0, 1, 2, 3, 4, 5].map((g) => `en text ${g}`));
  });

  it('renders both maps in headless Chromium with the quality numbers and no console errors', async () => {
    const path = join(tmp, 'umap.html');
    writeFileSync(path, renderUmapHtml(input()));
    const page = await openInChromium(path, join(process.cwd(), 'test-artifacts', 'umap-page.png'));
    expect(page.consoleErrors).toEqual([]);
    expect(page.charts).toBe(2);
  });
});
