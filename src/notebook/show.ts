import { randomBytes } from 'node:crypto';
import type { Figure } from '../core/report/figures';
import type { Table } from '../core/report/model';
import { escapeHtml, plotlyJs, scriptJson } from '../core/report/render';

/** A Jupyter display bundle: MIME type → content. */
export type MimeBundle = Record<string, unknown>;
type Writer = (msg: { data: MimeBundle; metadata: object; transient: object }, update: boolean) => void;

/** tslab's display channel when running inside its kernel, else undefined (plain Node prints text). */
function tslabWriter(): Writer | undefined {
  try {
    return (require('tslab/dist/jupyter') as { lastWriteDisplayData: Writer | null }).lastWriteDisplayData ?? undefined;
  } catch {
    return undefined;
  }
}

let plotlyLoaded = false;

/** HTML that draws a plotly figure in classic notebooks / nbconvert HTML; plotly.js is inlined once per kernel. */
export function plotlyHtml(fig: { data: unknown[]; layout: unknown }): string {
  const id = `unir-${randomBytes(6).toString('hex')}`;
  const lib = plotlyLoaded ? '' : `<script>${plotlyJs()}</script>`;
  plotlyLoaded = true;
  return `${lib}<div id="${id}" style="min-height:360px"></div><script>(function(){var f=${scriptJson(fig)};Plotly.newPlot('${id}',f.data,f.layout,{responsive:true,displaylogo:false});})();</script>`;
}

const isFigure = (x: unknown): x is Figure => !!x && typeof x === 'object' && Array.isArray((x as Figure).data) && typeof (x as Figure).layout === 'object';
const isTable = (x: unknown): x is Table => !!x && typeof x === 'object' && Array.isArray((x as Table).columns) && Array.isArray((x as Table).rows);
const isRows = (x: unknown): x is Record<string, unknown>[] => Array.isArray(x) && x.length > 0 && x.every((r) => r && typeof r === 'object' && !Array.isArray(r) && !isFigure(r));
const isPng = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x[0] === 0x89 && x[1] === 0x50 && x[2] === 0x4e && x[3] === 0x47;

function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function tableHtml(t: Table): string {
  return `<table><thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(cell(c))}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function tableText(t: Table): string {
  const rows = [t.columns, ...t.rows.map((r) => r.map(cell))];
  const w = t.columns.map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => String(c ?? '').padEnd(w[i]!)).join('  ')).join('\n');
}

/** Rows of objects (e.g. DuckDB results) as a Table. */
export function rowsToTable(rows: Record<string, unknown>[], title = ''): Table {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return { title, columns, rows: rows.map((r) => columns.map((c) => r[c] as string | number | null)) };
}

/** The display bundle for a value: plotly figure(s), a table or rows, a PNG, or text. */
export function bundleOf(x: unknown): MimeBundle {
  if (isFigure(x)) {
    return { 'application/vnd.plotly.v1+json': { data: x.data, layout: x.layout }, 'text/html': plotlyHtml(x), 'text/plain': `<figure ${(x as Figure).title ?? ''}>` };
  }
  if (isTable(x)) return { 'text/html': `${x.title ? `<h4>${escapeHtml(x.title)}</h4>` : ''}${tableHtml(x)}`, 'text/plain': tableText(x) };
  if (isRows(x)) return bundleOf(rowsToTable(x));
  if (isPng(x)) return { 'image/png': Buffer.from(x).toString('base64'), 'text/plain': `<png ${x.length} bytes>` };
  if (typeof x === 'string') return { 'text/markdown': x, 'text/plain': x };
  return { 'text/plain': JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? Number(v) : v), 2) };
}

/**
 * Shows anything in the notebook: plotly figures (the plotly MIME type, which JupyterLab renders, with an
 * HTML fallback), tables and DuckDB rows (HTML), PNG images, text. Arrays of figures/tables show each.
 * Outside a kernel it prints the text form. Returns nothing, so a cell ending in show(x) shows x once.
 */
export function show(x: unknown): void {
  const items = Array.isArray(x) && x.length > 0 && x.every((i) => isFigure(i) || isTable(i)) ? x : [x];
  const write = tslabWriter();
  for (const item of items) {
    const data = bundleOf(item);
    if (write) write({ data, metadata: {}, transient: {} }, false);
    else console.log(data['text/plain']);
  }
}
