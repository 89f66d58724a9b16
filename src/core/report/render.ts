import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportModel, Table } from './model';

const requireHere = createRequire(__filename);

let plotlySource: string | undefined;

/** plotly.js, read once per process, to inline in self-contained pages. */
export function plotlyJs(): string {
  return (plotlySource ??= readFileSync(requireHere.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8'));
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JSON safe to embed in a <script> element. */
export const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function htmlTable(t: Table): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${escapeHtml(c === null ? '—' : String(c))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<h3>${escapeHtml(t.title)}</h3>\n<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}
pre{background:#f7f7f7;padding:10px;overflow:auto;max-height:420px;font-size:12px}.chart{min-height:360px}`;

/** A self-contained page: plotly inlined once, every figure drawn from the embedded report JSON. */
export function renderHtml(m: ReportModel): string {
  const figs = m.figures.map((f) => `<div class="chart" id="fig-${escapeHtml(f.id)}"></div>`).join('\n');
  const plugins = htmlTable(pluginTable(m));
  const cite = m.citations.length
    ? `<h2>Citations</h2>\n<p>BibTeX of the plugins this report's runs used.</p>\n<pre class="bibtex">${escapeHtml(bibtex(m))}</pre>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(m.title)}</title>
<style>${STYLE}</style>
<script>${plotlyJs()}</script></head>
<body>
<h1>${escapeHtml(m.title)}</h1>
<p>Generated ${escapeHtml(m.generatedAt)} by unir from ${m.runs.map((r) => `<code>${escapeHtml(r.dir)}</code>`).join(', ')}.</p>
<h2>Charts</h2>
${figs}
<h2>Tables</h2>
${m.tables.map(htmlTable).join('\n')}
${plugins}
${htmlTable(m.environment)}
${m.config !== undefined ? `<h2>Resolved config</h2>\n<pre>${escapeHtml(JSON.stringify(m.config, null, 2))}</pre>` : ''}
${cite}
<script id="unir-report" type="application/json">${scriptJson(m)}</script>
<script>
const report = JSON.parse(document.getElementById('unir-report').textContent);
for (const f of report.figures) Plotly.newPlot('fig-' + f.id, f.data, f.layout, { responsive: true, displaylogo: false });
</script>
</body></html>
`;
}

/** The plugins table: kind, id, summary, and whether the citations list it. */
function pluginTable(m: ReportModel): Table {
  return {
    title: 'Plugins',
    columns: ['kind', 'id', 'summary', 'cited'],
    rows: m.plugins.map((p) => [p.kind, p.id, p.summary, p.cited ? 'yes' : '']),
  };
}

/** The citations as one BibTeX document, each entry under a comment naming its plugin. */
const bibtex = (m: ReportModel) => m.citations.map((c) => `% ${c.plugin}\n${c.bibtex}`).join('\n\n');

function mdTable(t: Table): string {
  const cell = (c: unknown) => (c === null ? '—' : String(c).replace(/\|/g, '\\|'));
  return [
    `### ${t.title}`,
    '',
    `| ${t.columns.map(cell).join(' | ')} |`,
    `|${t.columns.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(m: ReportModel): string {
  const parts = [
    `# ${m.title}`,
    '',
    `Generated ${m.generatedAt} by unir. Charts: see report.html (${m.figures.map((f) => f.title).join('; ')}).`,
    ...m.tables.map(mdTable),
    mdTable(pluginTable(m)),
    mdTable(m.environment),
  ];
  if (m.config !== undefined)
    parts.push('### Resolved config', '', '```json', JSON.stringify(m.config, null, 2), '```');
  if (m.citations.length) parts.push('### Citations', '', '```bibtex', bibtex(m), '```');
  return `${parts.join('\n\n')}\n`;
}
