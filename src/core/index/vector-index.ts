import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { pluginDefiner } from '../registry/plugin';

/** What an index stores beside each vector. */
export interface IndexItem {
  id: string;
  modality: 'image' | 'text';
  group: string;
  lang?: string; // texts
  path?: string; // images: path relative to the dataset root
  text?: string; // texts
}

export interface SearchFilter {
  modality?: 'image' | 'text';
  lang?: string;
}

export interface SearchHit {
  item: IndexItem;
  score: number; // cosine similarity, higher is better
}

/** The identity of the model that made the vectors: an index only answers queries from the same model. */
export interface IndexMeta {
  plugin: string;
  dim: number;
  runId: string;
  model: string; // fingerprint of the model spec (or checkpoint)
  count: number;
  createdAt: string;
}

/** A vector index over L2-normalised (N, dim) embeddings. */
export interface VectorIndex {
  readonly meta: IndexMeta;
  add(items: IndexItem[], vectors: Float32Array): Promise<void>; // vectors (N, dim), row i ↔ items[i]
  search(query: Float32Array, k: number, filter?: SearchFilter): Promise<SearchHit[]>; // query (dim)
  persist(): Promise<void>;
  dispose(): Promise<void>;
  /** Plugin-specific facts of the built index (e.g. IVF lists, probes, build seconds), for logs and benches. */
  info?(): Record<string, string | number | boolean>;
}

/** Where the index lives and which model it must match; create() opens it if it exists. */
export interface IndexContext {
  dir: string;
  dim: number;
  runId: string;
  model: string;
  /** Start empty even if an index exists in dir. */
  overwrite?: boolean;
}

export const defineIndex = pluginDefiner('index')<IndexContext, Promise<VectorIndex>>();

const META = 'index.json';

/** Reads dir/index.json and checks it belongs to this plugin, model and dimension. */
export function readIndexMeta(ctx: IndexContext, plugin: string): IndexMeta | undefined {
  const path = join(ctx.dir, META);
  if (ctx.overwrite || !existsSync(path)) return undefined;
  let meta: IndexMeta;
  try {
    meta = JSON.parse(readFileSync(path, 'utf8')) as IndexMeta;
  } catch (e) {
    throw new UserError(
      `${path}: unreadable index metadata (${(e as Error).message.split('\n')[0]}); rebuild it with 'unir index <runDir>'`,
    );
  }
  if (meta.plugin !== plugin)
    throw new UserError(
      `${path}: this is a '${meta.plugin}' index, not '${plugin}'; pass --index ${meta.plugin} or rebuild`,
    );
  if (meta.dim !== ctx.dim || meta.model !== ctx.model || meta.runId !== ctx.runId) {
    throw new UserError(
      `${path}: index was built by run '${meta.runId}' (dim ${meta.dim}), but the query model is run '${ctx.runId}' (dim ${ctx.dim}); rebuild it with 'unir index ${ctx.runId === meta.runId ? '<runDir>' : 'the run you search'}'`,
    );
  }
  return meta;
}

/** A new index's metadata for this context (count 0, created now). */
export function newIndexMeta(ctx: IndexContext, plugin: string): IndexMeta {
  return { plugin, dim: ctx.dim, runId: ctx.runId, model: ctx.model, count: 0, createdAt: new Date().toISOString() };
}

export function writeIndexMeta(dir: string, meta: IndexMeta): void {
  writeFileAtomic(join(dir, META), `${JSON.stringify(meta, null, 2)}\n`);
}

export function checkVectors(meta: IndexMeta, items: IndexItem[], vectors: Float32Array): void {
  if (vectors.length !== items.length * meta.dim) {
    throw new Error(
      `index add: ${items.length} items need ${items.length * meta.dim} floats (dim ${meta.dim}), got ${vectors.length}`,
    );
  }
}

export const matches = (item: IndexItem, f?: SearchFilter) =>
  !f || ((!f.modality || item.modality === f.modality) && (!f.lang || item.lang === f.lang));
