import { existsSync, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { runFile } from '../run/layout';

export type RowKind = 'image' | 'text' | 'query';
export type TextRole = 'caption' | 'chunk';

/**
 * Embeddings of one split, column-wise: row i is (ids[i], kind[i], lang[i], group[i], role[i], subset[i]) with
 * vector vectors[i*dim .. (i+1)*dim). Relevance everywhere is "same non-null group". Images have lang null; texts
 * have a role (caption | chunk); queries are the NLU query records embedded through the query path, with the
 * record's evaluation `subset` (null for images, texts and queries without one).
 */
export interface EmbeddingSet {
  ids: readonly string[];
  kind: readonly RowKind[];
  lang: readonly (string | null)[];
  group: readonly (string | null)[];
  role?: readonly (TextRole | null)[];
  subset?: readonly (string | null)[];
  vectors: Float32Array; // (N, D) row-major
  /** D; required only when N = 0. */
  dim?: number;
}

/** One row of embeddings/<split>.json. */
export interface EmbeddingIndexRow {
  id: string;
  kind: RowKind;
  lang: string | null;
  group: string | null;
  role: TextRole | null;
  /** Only in sets with a subset column. */
  subset?: string | null;
}

/** embeddings/<split>.json: describes embeddings/<split>.f32 (little-endian float32, row-major (count, dim)). */
export interface EmbeddingIndex {
  format: 'unir-embeddings-1';
  split: string;
  dim: number;
  count: number;
  rows: EmbeddingIndexRow[];
}

/** D of a set; throws if the columns and the vectors disagree. */
export function dimOf(set: EmbeddingSet, what = 'embeddings'): number {
  const n = set.ids.length;
  for (const [name, col] of [
    ['kind', set.kind],
    ['lang', set.lang],
    ['group', set.group],
    ['role', set.role],
    ['subset', set.subset],
  ] as const) {
    if (col && col.length !== n) throw new Error(`${what}: ${name} has ${col.length} entries for ${n} ids`);
  }
  const dim = set.dim ?? (n > 0 ? set.vectors.length / n : 0);
  if (!Number.isInteger(dim) || set.vectors.length !== n * dim) {
    throw new Error(`${what}: ${set.vectors.length} floats are not ${n} rows × dim ${set.dim ?? '?'}`);
  }
  return dim;
}

/** The rows (0-based indices) of `set` that satisfy `pred`. */
export function selectRows(set: EmbeddingSet, pred: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < set.ids.length; i++) if (pred(i)) out.push(i);
  return out;
}

/** The vectors of `rows`, packed into a new (rows.length, dim) array. */
export function gatherVectors(set: EmbeddingSet, rows: readonly number[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, k) => out.set(set.vectors.subarray(r * dim, (r + 1) * dim), k * dim));
  return out;
}

const safeSplit = (split: string) => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(split))
    throw new UserError(`embeddings: split name '${split}' must be a plain file name (letters, digits, . _ -)`);
  return split;
};

function littleEndianBytes(v: Float32Array): Uint8Array {
  if (endianness() === 'LE') return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const out = new Uint8Array(v.length * 4);
  const dv = new DataView(out.buffer);
  v.forEach((x, i) => dv.setFloat32(i * 4, x, true));
  return out;
}

/**
 * Writes runDir/embeddings/<split>.f32 (little-endian float32, row-major (N, D)) and then <split>.json (the
 * index: dim, count, rows), each atomically; the .json is written last, so a reader that finds it finds
 * the matching vectors.
 */
export function exportEmbeddings(runDir: string, split: string, set: EmbeddingSet): { vectors: string; index: string } {
  const dim = dimOf(set, `exportEmbeddings(${split})`);
  const dir = runFile(runDir, 'embeddings');
  const vectors = join(dir, `${safeSplit(split)}.f32`);
  const index = join(dir, `${split}.json`);
  const doc: EmbeddingIndex = {
    format: 'unir-embeddings-1',
    split,
    dim,
    count: set.ids.length,
    rows: set.ids.map((id, i) => ({
      id,
      kind: set.kind[i]!,
      lang: set.lang[i] ?? null,
      group: set.group[i] ?? null,
      role: set.role?.[i] ?? null,
      ...(set.subset ? { subset: set.subset[i] ?? null } : {}),
    })),
  };
  writeFileAtomic(vectors, littleEndianBytes(set.vectors));
  writeFileAtomic(index, `${JSON.stringify(doc)}\n`);
  return { vectors, index };
}

/** Reads what exportEmbeddings wrote; a missing or mismatched pair is a one-line UserError. */
export function readEmbeddings(runDir: string, split: string): EmbeddingSet & { dim: number } {
  const dir = runFile(runDir, 'embeddings');
  const indexPath = join(dir, `${safeSplit(split)}.json`);
  const vectorsPath = join(dir, `${split}.f32`);
  if (!existsSync(indexPath))
    throw new UserError(
      `${indexPath}: missing; this run exported no '${split}' embeddings (evaluate it again to write them)`,
    );
  let doc: EmbeddingIndex;
  try {
    doc = JSON.parse(readFileSync(indexPath, 'utf8')) as EmbeddingIndex;
  } catch (e) {
    throw new UserError(`${indexPath}: unreadable (${(e as Error).message.split('\n')[0]}); re-export the embeddings`);
  }
  if (!Array.isArray(doc.rows) || doc.rows.length !== doc.count || !Number.isInteger(doc.dim)) {
    throw new UserError(
      `${indexPath}: not an embeddings index (needs dim, count and count rows); re-export the embeddings`,
    );
  }
  const buf = existsSync(vectorsPath) ? readFileSync(vectorsPath) : undefined;
  if (!buf || buf.byteLength !== doc.count * doc.dim * 4) {
    throw new UserError(
      `${vectorsPath}: expected ${doc.count * doc.dim * 4} bytes (${doc.count} × ${doc.dim} float32), found ${buf?.byteLength ?? 'no file'}; re-export the embeddings`,
    );
  }
  const vectors = new Float32Array(doc.count * doc.dim);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < vectors.length; i++) vectors[i] = dv.getFloat32(i * 4, true);
  return {
    ids: doc.rows.map((r) => r.id),
    kind: doc.rows.map((r) => r.kind),
    lang: doc.rows.map((r) => r.lang),
    group: doc.rows.map((r) => r.group),
    role: doc.rows.map((r) => r.role),
    ...(doc.rows.some((r) => r.subset !== undefined) ? { subset: doc.rows.map((r) => r.subset ?? null) } : {}),
    vectors,
    dim: doc.dim,
  };
}
