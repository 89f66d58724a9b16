import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic';
import { type IndexItem, type IndexMeta, matches, type SearchFilter, writeIndexMeta } from './vector-index';

/** An index folder's items (items.jsonl) and their vectors (vectors.f32, (N, dim) row-major, row i ↔ item i). */
export interface FlatRows {
  items: IndexItem[];
  data: Float32Array; // (N, dim)
}

export function readFlat(dir: string): FlatRows {
  const items = readFileSync(join(dir, 'items.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as IndexItem);
  return { items, data: readF32(join(dir, 'vectors.f32')) };
}

export function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function appendRows(rows: FlatRows, items: IndexItem[], vectors: Float32Array): FlatRows {
  const data = new Float32Array(rows.data.length + vectors.length);
  data.set(rows.data);
  data.set(vectors, rows.data.length);
  return { items: rows.items.concat(items), data };
}

/**
 * Replaces the index folder as a whole: items, vectors, index.json and the plugin's own `extra` files are written to
 * a temporary folder that is then renamed over it, so a reader (or a crash) sees the old index or the new one.
 */
export function persistFlat(
  dir: string,
  rows: FlatRows,
  meta: IndexMeta,
  extra: Record<string, string | ArrayBufferView> = {},
): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const bytes = (v: string | ArrayBufferView) =>
    typeof v === 'string' ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  writeFileAtomic(join(tmp, 'vectors.f32'), bytes(rows.data));
  writeFileAtomic(join(tmp, 'items.jsonl'), rows.items.map((i) => JSON.stringify(i)).join('\n') + '\n');
  for (const [name, v] of Object.entries(extra)) writeFileAtomic(join(tmp, name), bytes(v));
  writeIndexMeta(tmp, { ...meta, count: rows.items.length });
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Rows allowed by a filter, cached per filter until the rows change; undefined = all rows. */
export class FilterMasks {
  private masks = new Map<string, Uint8Array>();

  get(items: readonly IndexItem[], filter: SearchFilter | undefined): Uint8Array | undefined {
    if (!filter?.modality && !filter?.lang) return undefined;
    const key = `${filter.modality ?? ''}\u0000${filter.lang ?? ''}`;
    let m = this.masks.get(key);
    if (!m) {
      m = Uint8Array.from(items, (it) => (matches(it, filter) ? 1 : 0));
      this.masks.set(key, m);
    }
    return m;
  }

  clear(): void {
    this.masks.clear();
  }
}

/**
 * The k best of `scores` (rows allowed by `mask`, if any) as indexes, best first: insertion into a sorted list of at
 * most k (k ≪ N; O(N·k) worst case, no full sort). `rowOf` maps a score's position to a row (default: the same).
 */
export function topK(scores: Float32Array, k: number, mask?: Uint8Array, rowOf?: Int32Array): number[] {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (mask && !mask[rowOf ? rowOf[i]! : i]) continue;
    const s = scores[i]!;
    if (idx.length === k && s <= scores[idx[k - 1]!]!) continue;
    let at = idx.length === k ? k - 1 : idx.length;
    while (at > 0 && scores[idx[at - 1]!]! < s) at--;
    idx.splice(at, 0, i);
    if (idx.length > k) idx.pop();
  }
  return idx;
}
