import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Figure } from '../core/report/figures';
import type { Table } from '../core/report/model';
import { escapeHtml, plotlyJs, scriptJson } from '../core/report/render';

/** A Jupyter display bundle: MIME type → content. */
export type MimeBundle = Record<string, unknown>;
type Writer = (msg: { data: MimeBundle; metadata: object; transient: object }, update: boolean) => void;

/** The MIME type JupyterLab, VS Code and (with unir's kernel.js) the classic Notebook draw plotly figures from. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** tslab's display channel when running inside its kernel, else undefined (plain Node prints text). */
function tslabWriter(): Writer | undefined {
  try {
    return (require('tslab/dist/jupyter') as { lastWriteDisplayData: Writer | null }).lastWriteDisplayData ?? undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Charts. Each figure is sent as the plotly MIME bundle (JupyterLab, VS Code; the classic Notebook through the
// kernel.js that scripts/jupyter-kernels.mjs puts in the kernel's spec folder) plus an HTML fallback for
// front ends that only run HTML (nbconvert's HTML export, a classic Notebook page before kernel.js loads).
// The fallback finds plotly.js in one of two places, whichever comes first:
//  - on a Jupyter server page: plotly.min.js served from the kernel's spec folder (/kernelspecs/<name>/), so
//    charts draw after a page reload or a kernel restart without any output carrying the library;
//  - off a server (an exported HTML file, offline): the one gzip+base64 copy of plotly.js that the first chart of
//    each kernel session carries (≈ 2 MB instead of 4.9 MB, never once per chart).
// window.__unirPlotly coordinates them (kernel.js builds the same object): callbacks wait in q until a source
// has loaded window.Plotly; sources run one at a time, the next one only if the previous failed.
// ---------------------------------------------------------------------------------------------------------

const BOOT = `var P=window.__unirPlotly;if(!P)P=window.__unirPlotly={q:[],todo:[],seen:{},
when:function(cb){if(window.Plotly)cb(window.Plotly);else P.q.push(cb);},
ready:function(){P.busy=0;var q=P.q;P.q=[];q.forEach(function(cb){try{cb(window.Plotly);}catch(e){console.error(e);}});},
add:function(key,start){if(P.seen[key])return;P.seen[key]=1;P.todo.push(start);P.next();},
next:function(){if(window.Plotly||P.busy||!P.todo.length)return;P.busy=1;P.todo.shift()(P.ready,function(){P.busy=0;P.next();});},
script:function(url){return function(ok,fail){var s=document.createElement('script');s.src=url;s.onload=function(){window.Plotly?ok():fail();};s.onerror=fail;document.head.appendChild(s);};}};`;

/** Shown in place of a chart whose scripts did not run (an untrusted notebook in a front end without unir's kernel.js). */
export const CHART_HINT =
  'Chart not drawn: Jupyter runs the scripts of trusted notebooks only. Trust this one (File → Trust Notebook, or ' +
  '<code>python3 -m nbformat.sign &lt;notebook&gt;.ipynb</code>) and reload, or run the cell again.';

let inlineLib: string | undefined;

/** A script that unpacks the inlined copy of plotly.js (gzip + base64) into window.Plotly. */
export function plotlyLibScript(): string {
  inlineLib ??= gzipSync(Buffer.from(plotlyJs(), 'utf8'), { level: 9 }).toString('base64');
  return `<script>(function(){${BOOT}
P.add('inline',function(ok,fail){try{var b=atob('${inlineLib}'),u=new Uint8Array(b.length);for(var i=0;i<b.length;i++)u[i]=b.charCodeAt(i);
new Response(new Blob([u]).stream().pipeThrough(new DecompressionStream('gzip'))).text().then(function(src){var s=document.createElement('script');s.textContent=src;document.head.appendChild(s);window.Plotly?ok():fail();},fail);}catch(e){fail();}});})();</script>`;
}

/** The kernel spec whose folder serves plotly.min.js: the notebook's own kernel, else $UNIR_KERNEL_NAME (set in unir's specs). */
const kernelName = () => process.env.UNIR_KERNEL_NAME || 'unir';

/**
 * HTML that draws a plotly figure wherever scripts run: a Jupyter page (plotly.js from the kernel's spec folder)
 * or an exported page (`withLib`: this chart carries the page's copy of plotly.js). Without scripts it shows
 * CHART_HINT.
 */
export function plotlyHtml(fig: { data: unknown[]; layout: unknown }, o: { withLib?: boolean } = {}): string {
  const id = `unir-${randomBytes(6).toString('hex')}`;
  const height = Number((fig.layout as { height?: number } | undefined)?.height) || 360;
  const script = `<script>(function(){${BOOT}
var f=${scriptJson(fig)},n=0;
function go(){var el=document.getElementById('${id}');if(!el){if(n++<200)setTimeout(go,50);return;}
if(el.getAttribute('data-unir'))return;el.setAttribute('data-unir','wait');var h=el.querySelector('.unir-plotly-hint');if(h)el.removeChild(h);
P.when(function(Plotly){Plotly.newPlot(el,f.data,f.layout,{responsive:true,displaylogo:false}).then(function(){el.setAttribute('data-unir','drawn');});});
var b=document.body&&document.body.getAttribute('data-base-url');if(b==null){var c=document.getElementById('jupyter-config-data');if(c)try{b=JSON.parse(c.textContent).baseUrl;}catch(e){}}
if(b!=null){var J=window.Jupyter,m=J&&J.notebook&&J.notebook.metadata&&J.notebook.metadata.kernelspec,u=b.replace(/\\/?$/,'/')+'kernelspecs/'+encodeURIComponent(m&&m.name||${JSON.stringify(kernelName())})+'/plotly.min.js';P.add(u,P.script(u));}}
go();})();</script>`;
  return `${o.withLib ? plotlyLibScript() : ''}<div class="unir-plotly" id="${id}" style="min-height:${height}px"><p class="unir-plotly-hint" style="color:#a33">${CHART_HINT}</p></div>${script}`;
}

// ---------------------------------------------------------------------------------------------------------
// Tables: numbers to 4 decimals, nested objects (a history row's losses) as one line per key, long strings
// (120-character run ids) shortened in the middle with the full text in a tooltip.
// ---------------------------------------------------------------------------------------------------------

const isFigure = (x: unknown): x is Figure =>
  !!x && typeof x === 'object' && Array.isArray((x as Figure).data) && typeof (x as Figure).layout === 'object';
const isTable = (x: unknown): x is Table =>
  !!x && typeof x === 'object' && Array.isArray((x as Table).columns) && Array.isArray((x as Table).rows);
const isRows = (x: unknown): x is Record<string, unknown>[] =>
  Array.isArray(x) && x.length > 0 && x.every((r) => r && typeof r === 'object' && !Array.isArray(r) && !isFigure(r));
const isPng = (x: unknown): x is Uint8Array =>
  x instanceof Uint8Array && x[0] === 0x89 && x[1] === 0x50 && x[2] === 0x4e && x[3] === 0x47;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Longest text a table cell or header shows; longer ones keep their start and end around an ellipsis. */
export const CELL_MAX = 40;

/** `s` shortened to `max` characters: its start, '…', its last ~third. */
export function abbreviate(s: string, max = CELL_MAX): string {
  if (s.length <= max) return s;
  const tail = Math.floor((max - 1) / 3);
  return `${s.slice(0, max - 1 - tail)}…${s.slice(-tail)}`;
}

function num(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(1);
  return Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4);
}

/** The full text of a cell value. */
function cellText(v: unknown): string {
  if (typeof v === 'number') return num(v);
  if (typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.map(cellText).join(', ');
  if (isPlainObject(v))
    return Object.entries(v)
      .map(([k, x]) => `${k}=${cellText(x)}`)
      .join(' ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function shortHtml(s: string): string {
  const short = abbreviate(s);
  return short === s ? escapeHtml(s) : `<span title="${escapeHtml(s)}">${escapeHtml(short)}</span>`;
}

function cellHtml(v: unknown): string {
  if (isPlainObject(v)) {
    const lines = Object.entries(v).map(
      ([k, x]) => `<span style="color:#666">${escapeHtml(k)}</span> ${shortHtml(cellText(x))}`,
    );
    return `<td style="text-align:left;white-space:nowrap;font-size:90%">${lines.join('<br>')}</td>`;
  }
  return `<td>${shortHtml(cellText(v))}</td>`;
}

export function tableHtml(t: Table): string {
  return `<table class="unir-table"><thead><tr>${t.columns.map((c) => `<th>${shortHtml(c)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function tableText(t: Table): string {
  const rows = [t.columns.map((c) => abbreviate(c)), ...t.rows.map((r) => r.map((c) => abbreviate(cellText(c))))];
  const w = t.columns.map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => String(c ?? '').padEnd(w[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Rows of objects (e.g. DuckDB results, history rows) as a Table. */
export function rowsToTable(rows: Record<string, unknown>[], title = ''): Table {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return { title, columns, rows: rows.map((r) => columns.map((c) => r[c] as string | number | null)) };
}

// ---------------------------------------------------------------------------------------------------------
// Log text with Markdown pipe tables (the dataset's summary when it is built) as HTML tables.
// ---------------------------------------------------------------------------------------------------------

const pipeCells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim());
const isSeparator = (line: string) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);

/** true when `text` holds at least one Markdown pipe table (a header row, a |---| row, body rows). */
export function hasPipeTable(text: string): boolean {
  const lines = text.split('\n');
  return lines.some((l, i) => i > 0 && isSeparator(l) && lines[i - 1]!.trim().startsWith('|'));
}

/** Text with Markdown pipe tables as HTML: tables as <table>, other lines as paragraphs. */
export function pipeTablesHtml(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim().startsWith('|') && i + 1 < lines.length && isSeparator(lines[i + 1]!)) {
      const head = pipeCells(line);
      const align = pipeCells(lines[i + 1]!).map((c) => (c.endsWith(':') ? 'right' : 'left'));
      const body: string[][] = [];
      for (i += 2; i < lines.length && lines[i]!.trim().startsWith('|'); i++) body.push(pipeCells(lines[i]!));
      i--;
      const td = (c: string, j: number, tag: string) =>
        `<${tag} style="text-align:${align[j] ?? 'left'}">${escapeHtml(c)}</${tag}>`;
      out.push(
        `<table class="unir-table"><thead><tr>${head.map((c, j) => td(c, j, 'th')).join('')}</tr></thead><tbody>${body
          .map((r) => `<tr>${r.map((c, j) => td(c, j, 'td')).join('')}</tr>`)
          .join('')}</tbody></table>`,
      );
    } else if (line.trim()) {
      out.push(`<p>${escapeHtml(line)}</p>`);
    }
  }
  return out.join('\n');
}

/**
 * A log line from a notebook call (runExperiment, umap, ...): printed, except text holding Markdown tables
 * (the dataset summary), which a kernel shows as HTML tables.
 */
export function notebookLog(text: string): void {
  const write = hasPipeTable(text) ? tslabWriter() : undefined;
  if (write)
    write({ data: { 'text/html': pipeTablesHtml(text), 'text/plain': text }, metadata: {}, transient: {} }, false);
  else console.log(text);
}

// ---------------------------------------------------------------------------------------------------------

/** The display bundle for a value: plotly figure(s), a table or rows, a PNG, or text. */
export function bundleOf(x: unknown, o: { withLib?: boolean } = {}): MimeBundle {
  if (isFigure(x)) {
    return {
      [PLOTLY_MIME]: { data: x.data, layout: x.layout },
      'text/html': plotlyHtml(x, o),
      'text/plain': `<figure ${(x as Figure).title ?? ''}>`,
    };
  }
  if (isTable(x))
    return {
      'text/html': `${x.title ? `<h4>${escapeHtml(x.title)}</h4>` : ''}${tableHtml(x)}`,
      'text/plain': tableText(x),
    };
  if (isRows(x)) return bundleOf(rowsToTable(x));
  if (isPng(x)) return { 'image/png': Buffer.from(x).toString('base64'), 'text/plain': `<png ${x.length} bytes>` };
  if (typeof x === 'string') return { 'text/markdown': x, 'text/plain': x };
  return { 'text/plain': JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? Number(v) : v), 2) };
}

/** Has this kernel process sent the inlined plotly.js yet? (The first chart of each kernel session carries it.) */
let libSent = false;

/**
 * Shows anything in the notebook: plotly figures (the plotly MIME type, which JupyterLab and VS Code render,
 * with an HTML fallback), tables and DuckDB rows (HTML), PNG images, text. Arrays of figures/tables show each.
 * Outside a kernel it prints the text form. Returns nothing, so a cell ending in show(x) shows x once.
 */
export function show(x: unknown): void {
  const items = Array.isArray(x) && x.length > 0 && x.every((i) => isFigure(i) || isTable(i)) ? x : [x];
  const write = tslabWriter();
  for (const item of items) {
    const withLib = !!write && isFigure(item) && !libSent;
    const data = bundleOf(item, { withLib });
    if (withLib) libSent = true;
    if (write) write({ data, metadata: {}, transient: {} }, false);
    else console.log(data['text/plain']);
  }
}
