// Count tables of a manifest: what `unir data validate` prints when clean and `unir data stats` in full.
import { segmentWords } from '../text/words';
import { slotsOffWordBoundaries } from './bio';
import type { ManifestRecord, QueryRecord } from './manifest-schema';

export type RecordKind = 'image' | 'caption' | 'chunk' | 'query';
const KINDS: readonly RecordKind[] = ['image', 'caption', 'chunk', 'query'];

export interface CountRow {
  split: string;
  kind: RecordKind;
  byLanguage: Record<string, number>; // empty for images (they have no language)
  total: number;
}

export interface CountTable {
  languages: string[];
  rows: CountRow[]; // splits in order train, val, test, test-*; kinds in KINDS order; empty rows left out
}

const kindOf = (r: ManifestRecord): RecordKind => (r.type === 'text' ? r.role : r.type);
const splitRank = (s: string) => (s === 'train' ? 0 : s === 'val' ? 1 : s === 'test' ? 2 : 3);
const splitOrder = (a: string, b: string) => splitRank(a) - splitRank(b) || a.localeCompare(b);

/** Records per split × kind × language; languages in `order` (e.g. the header's) first, then the rest sorted. */
export function countRecords(records: readonly ManifestRecord[], order: readonly string[] = []): CountTable {
  const found = new Set(records.flatMap((r) => (r.type === 'image' ? [] : [r.lang])));
  const languages = [...order.filter((l) => found.has(l)), ...[...found].filter((l) => !order.includes(l)).sort()];
  const splits = [...new Set(records.map((r) => r.split))].sort(splitOrder);
  const rows: CountRow[] = [];
  for (const split of splits) {
    for (const kind of KINDS) {
      const rs = records.filter((r) => r.split === split && kindOf(r) === kind);
      if (!rs.length) continue;
      const byLanguage: Record<string, number> = {};
      for (const r of rs) if (r.type !== 'image') byLanguage[r.lang] = (byLanguage[r.lang] ?? 0) + 1;
      rows.push({ split, kind, byLanguage, total: rs.length });
    }
  }
  return { languages, rows };
}

/** Aligned columns: text columns (`left`) padded right, numbers padded left. */
function table(head: string[], body: string[][], left: (col: number) => boolean = (c) => c < 2): string[] {
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((x, c) => (left(c) ? x.padEnd(widths[c]!) : x.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...body.map(fmt)];
}

/** The count table as aligned text lines: one row per split × kind, one column per language, then the total. */
export function formatCountTable(t: CountTable): string[] {
  return table(
    ['split', 'kind', ...t.languages, 'total'],
    t.rows.map((r) => [
      r.split,
      r.kind,
      ...t.languages.map((l) => (r.kind === 'image' ? '-' : String(r.byLanguage[l] ?? 0))),
      String(r.total),
    ]),
  );
}

/** Everything `unir data stats` prints beyond the count table. */
export function describeRecords(records: readonly ManifestRecord[]): string[] {
  const splits = [...new Set(records.map((r) => r.split))].sort(splitOrder);
  const rows = splits.map((split) => {
    const rs = records.filter((r) => r.split === split);
    const groups = new Set(rs.flatMap((r) => (r.type === 'query' && r.group === null ? [] : [r.group as string])));
    const families = count(rs.flatMap((r) => (r.type === 'image' ? [r.family ?? '(none)'] : [])));
    const intents = count(rs.flatMap((r) => (r.type === 'query' ? [r.intent] : [])));
    const noGroup = rs.filter((r) => r.type === 'query' && r.group === null).length;
    return [split, String(groups.size), fmtCounts(families), fmtCounts(intents), String(noGroup)];
  });
  const out = [
    '',
    ...table(
      ['split', 'groups', 'image families', 'intents', 'queries without group'],
      rows,
      (c) => c !== 1 && c !== 4,
    ),
  ];
  const lengths = (kind: RecordKind) =>
    records.flatMap((r) => (r.type !== 'image' && kindOf(r) === kind ? [r.text.length] : []));
  out.push('');
  for (const kind of ['caption', 'chunk', 'query'] as const) {
    const ls = lengths(kind);
    if (ls.length)
      out.push(
        `${kind} length (UTF-16 units): mean ${(ls.reduce((a, b) => a + b, 0) / ls.length).toFixed(1)}, max ${Math.max(...ls)}`,
      );
  }
  const queries = records.filter((r): r is QueryRecord => r.type === 'query');
  const slots = count(queries.flatMap((q) => q.slots.map((s) => s.label)));
  if (queries.length) out.push(`slots: ${fmtCounts(slots) || '(none)'}`);
  const off = queries.reduce((n, q) => n + slotsOffWordBoundaries(q.slots, segmentWords(q.text, q.lang)).length, 0);
  if (queries.length) out.push(`slot spans not on Intl.Segmenter word boundaries: ${off}`);
  return out;
}

function count(xs: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return new Map([...m].sort(([a], [b]) => a.localeCompare(b)));
}

const fmtCounts = (m: Map<string, number>) => [...m].map(([k, v]) => `${k} ${v}`).join(', ');
