import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCounts, type EmojiCldrCounts } from '../../src/plugins/datasets/emoji-cldr/plan';
import { umapFigures, type MapPoint } from '../../src/core/umap/page';
import { shortenRunId as notebookRunId } from '../../src/core/run/run-id';
import { registerPlugin } from '../../src/notebook/experiments';
import { defineLoss, z } from '../../src/notebook/api';
import {
  abbreviate,
  bundleOf,
  CHART_HINT,
  hasPipeTable,
  pipeTablesHtml,
  PLOTLY_MIME,
  plotlyHtml,
  rowsToTable,
  tableHtml,
  tableText,
} from '../../src/notebook/show';
import { ARTIFACTS, charts, colouredPixels, openChromium } from './chromium';

const tmp = mkdtempSync(join(tmpdir(), 'unir-show-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const RUN_ID =
  'smoke-s1-stage1=4-stage2=2-stage3=2-fusion=fixed-sum-curriculum.stages.stage2.terms_2_.loss=cosine-align-curriculum.stag';

describe('tables in notebooks', () => {
  it('shorten long run ids to 40 characters, keeping start and end, with the full id as a tooltip', () => {
    expect(abbreviate(RUN_ID)).toHaveLength(40);
    expect(abbreviate(RUN_ID)).toBe(`${RUN_ID.slice(0, 26)}…${RUN_ID.slice(-13)}`);
    expect(abbreviate('smoke-s1')).toBe('smoke-s1');
    const t = { title: 'runs', columns: ['run', `Δ ${RUN_ID}`], rows: [[RUN_ID, 0.25]] };
    const html = tableHtml(t);
    expect(html).toContain(`<span title="${RUN_ID}">${abbreviate(RUN_ID)}</span>`);
    expect(html).toContain(`<span title="Δ ${RUN_ID}">${abbreviate(`Δ ${RUN_ID}`)}</span>`);
    expect(
      Math.max(
        ...tableText(t)
          .split('\n')
          .map((l) => l.length),
      ),
    ).toBeLessThanOrEqual(40 + 2 + 40);
  });

  it("show a history row's losses one per line, so lr and samples/s stay on screen", () => {
    const rows = [
      {
        stage: 'stage2',
        step: 2,
        losses: { loss: 2.8753254413604736, intent: 1.6225582361221313, gradNorm: 14.93 },
        lr: 0.0015,
        samplesPerSec: 605.123,
      },
    ];
    const t = rowsToTable(rows);
    const html = tableHtml(t);
    expect(html).not.toContain('{"loss"');
    expect(html).toMatch(
      /<span style="color:#666">loss<\/span> 2\.8753<br><span style="color:#666">intent<\/span> 1\.6226<br>/,
    );
    expect(html).toContain('<td>0.0015</td><td>605.1</td>');
    expect(tableText(t).split('\n')[1]!.split(/ {2,}/)).toEqual([
      'stage2',
      '2',
      abbreviate('loss=2.8753 intent=1.6226 gradNorm=14.9300'),
      '0.0015',
      '605.1',
    ]);
  });

  it("render the dataset summary's Markdown pipe tables as HTML tables", () => {
    const by = (v: number) => ({
      train: { en: v, de: v + 1 },
      val: { en: 1, de: 2 },
      test: { en: 3, de: 4 },
      'test-unseen': { en: 5, de: 6 },
    });
    const counts: EmojiCldrCounts = {
      concepts: { train: 40, val: 8, unseen: 6 },
      emoji: 54,
      images: { train: { google: 40, twitter: 40, openmoji: 0 } },
      captions: by(40),
      chunks: by(80),
      queries: by(120),
      heldOutQueries: {},
      nonRetrievalQueries: {},
      droppedDuplicateImages: 0,
      ambiguousLabels: [],
    };
    const text = formatCounts(counts, ['en', 'de']);
    expect(hasPipeTable(text)).toBe(true);
    expect(hasPipeTable('stage1 [1/3] 4/4 | loss 4.176 ti 2.560 | lr 4.39e-4')).toBe(false);
    const html = pipeTablesHtml(text);
    expect(html).not.toContain('|');
    expect(html.match(/<table/g)).toHaveLength(2);
    expect(html).toContain('<p>emoji: 54; concepts (groups): train 40');
    expect(html).toContain(
      '<th style="text-align:left">split / lang</th><th style="text-align:right">en</th><th style="text-align:right">de</th>',
    );
    expect(html).toContain(
      '<td style="text-align:left">train captions</td><td style="text-align:right">40</td><td style="text-align:right">41</td><td style="text-align:right">81</td>',
    );
  });
});

describe('default run ids of runExperiment', () => {
  it('stay as they are up to 120 characters; longer ones are cut and end in a hash of the whole, so they stay apart', () => {
    expect(notebookRunId('smoke-s1-stage1=4')).toBe('smoke-s1-stage1=4');
    const a = notebookRunId(`${RUN_ID}e3.terms_4_.loss=cosine-align`);
    const b = notebookRunId(`${RUN_ID}e3.terms_5_.loss=cosine-align`);
    expect(a).toHaveLength(120);
    expect(a.slice(0, 111)).toBe(RUN_ID.slice(0, 111));
    expect(a).toMatch(/-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(notebookRunId(`${RUN_ID}e3.terms_4_.loss=cosine-align`)).toBe(a);
  });
});

describe('registerPlugin in a notebook', () => {
  it('returns one line naming the plugin, and says so when a re-run replaces it', () => {
    const plugin = () =>
      defineLoss({
        id: 'show-test-loss',
        summary: 'A loss for this test',
        needs: [],
        configSchema: z.object({}),
        create: () => ({ needs: [], variables: [], dispose() {}, compute: () => ({}) }),
      } as never);
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: string) => void warnings.push(m);
    try {
      expect(registerPlugin(plugin())).toBe("registered loss 'show-test-loss' — A loss for this test");
      expect(registerPlugin(plugin())).toBe(
        "registered loss 'show-test-loss' (replacing the earlier definition) — A loss for this test",
      );
    } finally {
      console.warn = warn;
    }
    expect(warnings).toEqual([expect.stringContaining("loss 'show-test-loss' re-registered")]);
  });
});

function mapInput() {
  const points: MapPoint[] = [];
  for (let g = 0; g < 7; g++) {
    for (const lang of ['de', 'en', 'ja'])
      points.push({ id: `t${g}${lang}`, modality: 'text', lang, group: `g${g}`, label: `${lang} ${g}` });
    points.push({ id: `i${g}`, modality: 'image', group: `g${g}`, label: `img ${g}` });
  }
  const n = points.length;
  const c = (d: number) => Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 7.1) * 5);
  return {
    title: 'map',
    points,
    coords2: c(2),
    coords3: c(3),
    trustworthiness: 0.9,
    alignment: { translations: 0.5, random: 0.1, score: 0.4, pairs: 21 },
  };
}

describe('the UMAP figures of notebook 04', () => {
  it('coloured by modality: only the modality traces visible (one "image" entry), every point shown, its button highlighted', () => {
    for (const colourBy of ['language', 'modality'] as const) {
      for (const fig of umapFigures(mapInput(), { colourBy })) {
        const shown = fig.data.filter((t) => t.visible === true);
        expect(shown.map((t) => t.name)).toEqual(
          colourBy === 'language' ? ['de', 'en', 'ja', 'image'] : ['text', 'image'],
        );
        expect(shown.reduce((n, t) => n + (t.x as number[]).length, 0)).toBe(28);
        expect(fig.title).toContain('(28 points)');
        const menu = (fig.layout.updatemenus as { active: number; buttons: { label: string }[] }[])[0]!;
        expect(menu.buttons[menu.active]!.label).toBe(`colour by ${colourBy}`);
      }
    }
  });
});

describe('plotly charts in exported HTML (nbconvert), offline', () => {
  const fig = (n: number) => umapFigures(mapInput())[n]!;

  it('one copy of plotly.js per page, gzip + base64 (≈ 2 MB), not one per chart', () => {
    const first = bundleOf(fig(0), { withLib: true });
    const next = bundleOf(fig(1));
    expect(Object.keys(first)).toEqual([PLOTLY_MIME, 'text/html', 'text/plain']);
    expect(first[PLOTLY_MIME]).toEqual({ data: fig(0).data, layout: fig(0).layout });
    const size = (b: Record<string, unknown>) => Buffer.byteLength(b['text/html'] as string);
    expect(size(first)).toBeGreaterThan(1_500_000);
    expect(size(first)).toBeLessThan(2_200_000);
    expect(size(next)).toBeLessThan(Buffer.byteLength(JSON.stringify(fig(1))) + 4000);
    expect(next['text/html']).not.toContain("P.add('inline'");
  });

  it('draw in Chromium with the network off wherever the copy sits on the page; without scripts the hint shows', async () => {
    // the chart that carries plotly.js comes second: the first one waits for it
    const page = `<!doctype html><html><head><meta charset="utf-8"><title>export</title></head><body>
<div class="out">${plotlyHtml(fig(1))}</div><div class="out">${plotlyHtml(fig(0), { withLib: true })}</div></body></html>`;
    const path = join(tmp, 'export.html');
    writeFileSync(path, page);
    const b = await openChromium();
    try {
      await b.page.goto(pathToFileURL(path).href);
      await b.page.waitForFunction(() => document.querySelectorAll('[data-unir="drawn"]').length === 2, undefined, {
        timeout: 60_000,
      });
      const drawn = await charts(b.page, 'body', 'show-export');
      expect(drawn.map((c) => c.title)).toEqual([fig(1).title, fig(0).title]);
      for (const c of drawn) expect(c.colouredPixels).toBeGreaterThan(100);
      expect(await b.page.locator('.unir-plotly-hint').count()).toBe(0);
      expect(await b.page.evaluate(() => document.querySelectorAll('script[src]').length)).toBe(0);
      expect(b.errors).toEqual([]);
      expect(b.external).toEqual([]);
    } finally {
      await b.close();
    }
    const noJs = await openChromium({ javaScript: false });
    try {
      await noJs.page.goto(pathToFileURL(path).href);
      const hints = noJs.page.locator('.unir-plotly-hint');
      expect(await hints.count()).toBe(2);
      expect(await hints.first().innerText()).toBe(
        CHART_HINT.replace(/<\/?code>/g, '')
          .replace('&lt;', '<')
          .replace('&gt;', '>'),
      );
      expect(
        await colouredPixels(noJs.page.locator('.unir-plotly').first(), join(ARTIFACTS, 'show-export-nojs.png')),
      ).toBeGreaterThan(0); // the red hint
    } finally {
      await noJs.close();
    }
  }, 120_000);
});
