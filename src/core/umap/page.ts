import { RUN_COLORS, type Figure } from '../report/figures';
import { escapeHtml, plotlyJs, scriptJson } from '../report/render';
import type { Alignment } from './quality';

/** One point of the map: an image or a text of the test split. */
export interface MapPoint {
  id: string;
  modality: 'image' | 'text';
  lang?: string; // texts only
  group: string; // translations and the concept's images share it
  label: string; // the text, or the image id
  thumb?: string; // data: URI of the image (images only)
}

export interface UmapPageInput {
  title: string;
  points: MapPoint[];
  coords2: Float32Array; // (N, 2)
  coords3: Float32Array; // (N, 3)
  trustworthiness: number; // of the 2-D map, k = 10
  alignment: Alignment;
}

const PALETTE = [...RUN_COLORS, '#bcbd22', '#7f7f7f', '#aec7e8', '#ffbb78', '#98df8a', '#ff9896'];

/** Traces of one colouring (by language or by modality) for a 2-D or 3-D map. */
function traces(input: UmapPageInput, dims: 2 | 3, by: 'language' | 'modality', visible: boolean) {
  const key = (p: MapPoint) => (by === 'modality' ? p.modality : p.modality === 'image' ? 'image' : (p.lang ?? '?'));
  const keys = [...new Set(input.points.map(key))].sort((a, b) =>
    a === 'image' ? 1 : b === 'image' ? -1 : a.localeCompare(b),
  );
  const coords = dims === 2 ? input.coords2 : input.coords3;
  return keys.map((k, ki) => {
    const idx = input.points.map((p, i) => (key(p) === k ? i : -1)).filter((i) => i >= 0);
    const axis = (d: number) => idx.map((i) => Number(coords[i * dims + d]!.toFixed(4)));
    return {
      type: dims === 2 ? 'scattergl' : 'scatter3d',
      mode: 'markers',
      name: k,
      visible,
      x: axis(0),
      y: axis(1),
      ...(dims === 3 ? { z: axis(2) } : {}),
      customdata: idx,
      text: idx.map((i) => input.points[i]!.label),
      hovertemplate: '%{text}<extra>' + escapeHtml(k) + '</extra>',
      marker: {
        size: dims === 2 ? 6 : 3,
        color: PALETTE[ki % PALETTE.length],
        symbol: k === 'image' ? 'square' : 'circle',
        opacity: 0.8,
      },
    };
  });
}

/**
 * A 2-D and a 3-D figure, each switchable between colouring by language and by modality. `colourBy` picks the
 * view shown first: its traces visible (every point, as the title counts them), the other view's hidden, and
 * its button highlighted.
 */
export function umapFigures(input: UmapPageInput, o: { colourBy?: 'language' | 'modality' } = {}): Figure[] {
  const byLanguage = (o.colourBy ?? 'language') === 'language';
  return ([2, 3] as const).map((dims) => {
    const byLang = traces(input, dims, 'language', byLanguage);
    const byMod = traces(input, dims, 'modality', !byLanguage);
    const vis = (lang: boolean) => [...byLang.map(() => lang), ...byMod.map(() => !lang)];
    const title = `UMAP ${dims}-D of the test split (${input.points.length} points)`;
    return {
      id: `umap-${dims}d`,
      title,
      data: [...byLang, ...byMod],
      layout: {
        title: { text: title },
        height: dims === 2 ? 620 : 700,
        hovermode: 'closest',
        updatemenus: [
          {
            type: 'buttons',
            direction: 'right',
            x: 0,
            y: 1.08,
            xanchor: 'left',
            active: byLanguage ? 0 : 1,
            buttons: [
              { label: 'colour by language', method: 'restyle', args: ['visible', vis(true)] },
              { label: 'colour by modality', method: 'restyle', args: ['visible', vis(false)] },
            ],
          },
        ],
      },
    };
  });
}

/**
 * Self-contained HTML: the two maps, their quality numbers, and a side panel. Hovering shows the text or the
 * image thumbnail; clicking a point lists every translation and image of its concept and rings them on the map.
 */
export function renderUmapHtml(input: UmapPageInput): string {
  const figs = umapFigures(input);
  const a = input.alignment;
  const points = input.points.map((p) => ({
    label: p.label,
    lang: p.lang,
    modality: p.modality,
    group: p.group,
    thumb: p.thumb,
  }));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:16px;display:grid;grid-template-columns:1fr 300px;gap:16px}
#panel{position:sticky;top:16px;align-self:start;border:1px solid #ddd;padding:10px;max-height:95vh;overflow:auto}
#panel img{width:64px;height:64px;image-rendering:pixelated;border:1px solid #eee}.q{font-variant-numeric:tabular-nums}</style>
<script>${plotlyJs()}</script></head><body><main>
<h1>${escapeHtml(input.title)}</h1>
<p class="q">Trustworthiness of the 2-D map (k = 10): <b id="trust">${input.trustworthiness.toFixed(4)}</b>.
Cross-lingual alignment: mean cosine between translations <b>${a.translations.toFixed(4)}</b> vs random cross-language pairs
<b>${a.random.toFixed(4)}</b> (score <b id="align">${a.score.toFixed(4)}</b>, ${a.pairs} translation pairs).</p>
${figs.map((f) => `<div class="chart" id="fig-${f.id}"></div>`).join('\n')}
</main><aside id="panel"><b>Hover</b> a point to see it; <b>click</b> one to list its concept's translations and images.<div id="hover"></div><div id="concept"></div></aside>
<script id="unir-umap" type="application/json">${scriptJson({ figures: figs, points })}</script>
<script>
const U = JSON.parse(document.getElementById('unir-umap').textContent);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const card = (p) => p.thumb ? '<div><img src="' + p.thumb + '" alt=""> ' + esc(p.label) + '</div>' : '<div>[' + esc(p.lang) + '] ' + esc(p.label) + '</div>';
for (const f of U.figures) {
  const el = document.getElementById('fig-' + f.id);
  Plotly.newPlot(el, f.data, f.layout, { responsive: true, displaylogo: false });
  el.on('plotly_hover', (ev) => { const p = U.points[ev.points[0].customdata]; document.getElementById('hover').innerHTML = '<h4>hover</h4>' + card(p); });
  el.on('plotly_click', (ev) => {
    const g = U.points[ev.points[0].customdata].group;
    const members = U.points.filter((p) => p.group === g);
    document.getElementById('concept').innerHTML = '<h4>concept ' + esc(g) + ' (' + members.length + ')</h4>' + members.map(card).join('');
    for (const fig of U.figures) {
      const div = document.getElementById('fig-' + fig.id);
      const sizes = div.data.map((t) => t.customdata.map((i) => (U.points[i].group === g ? (fig.id === 'umap-2d' ? 14 : 7) : (fig.id === 'umap-2d' ? 6 : 3))));
      Plotly.restyle(div, { 'marker.size': sizes });
    }
  });
}
</script></body></html>`;
}
