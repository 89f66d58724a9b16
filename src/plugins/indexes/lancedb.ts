import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as LanceDb from '@lancedb/lancedb';
import { z } from 'zod';
import {
  checkVectors,
  defineIndex,
  newIndexMeta,
  readIndexMeta,
  writeIndexMeta,
  type IndexItem,
  type IndexMeta,
  type SearchFilter,
  type SearchHit,
} from '../../core/index/vector-index';

const TABLES = { image: 'images', text: 'texts' } as const;
/**
 * LanceDB, loaded on first use: its Rust logger reads LANCEDB_LOG when the binding loads and otherwise prints a
 * WARN line per new table on stderr; keep errors only unless the user asks for more.
 */
function loadLanceDb(): typeof LanceDb {
  process.env.LANCEDB_LOG ??= 'error';
  return createRequire(__filename)('@lancedb/lancedb') as typeof LanceDb;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

function whereOf(f?: SearchFilter): string | undefined {
  return f?.lang ? `lang = ${sqlString(f.lang)}` : undefined;
}

/**
 * Embedded LanceDB: one table for images, one for text chunks (id, group, lang, path, text, vector). Above
 * `annAbove` rows a table gets an IVF-PQ index searched with `nprobes` and re-ranked exactly (`refineFactor`);
 * below it, search is exact. The tables are Lance datasets: the same format on object storage (s3://…).
 */
export const lancedbIndex = defineIndex({
  id: 'lancedb',
  summary: 'Embedded LanceDB tables (images, texts) with an IVF-PQ ANN index when large, exact search when small',
  configSchema: z.object({
    annAbove: z.number().int().positive().default(10000).describe('rows from which a table gets an IVF-PQ index'),
    nprobes: z.number().int().positive().default(32).describe('IVF partitions scanned per query'),
    refineFactor: z
      .number()
      .int()
      .positive()
      .default(20)
      .describe('k × this candidates re-ranked with exact distances'),
    rowsPerPartition: z.number().int().positive().default(2048).describe('IVF partitions = rows / this'),
    numSubVectors: z.number().int().positive().optional().describe('PQ sub-vectors; default dim/4'),
  }),
  async create(config, ctx) {
    const existing = readIndexMeta(ctx, 'lancedb');
    const meta: IndexMeta = existing ?? newIndexMeta(ctx, 'lancedb');
    mkdirSync(ctx.dir, { recursive: true });
    const lancedb = loadLanceDb();
    const db = await lancedb.connect(join(ctx.dir, 'lance'));
    const names = new Set(await db.tableNames());
    const tables = new Map<string, LanceDb.Table>();
    for (const t of Object.values(TABLES)) {
      if (ctx.overwrite && names.has(t)) await db.dropTable(t);
      else if (names.has(t)) tables.set(t, await db.openTable(t));
    }
    const count = async () => {
      let n = 0;
      for (const t of tables.values()) n += await t.countRows();
      return n;
    };
    meta.count = await count();
    return {
      get meta() {
        return { ...meta };
      },
      async add(items, vectors) {
        checkVectors(meta, items, vectors);
        for (const modality of ['image', 'text'] as const) {
          const rows = items
            .map((it, i) => ({ it, i }))
            .filter(({ it }) => it.modality === modality)
            .map(({ it, i }) => ({
              id: it.id,
              group: it.group,
              lang: it.lang ?? '',
              path: it.path ?? '',
              text: it.text ?? '',
              vector: Array.from(vectors.subarray(i * meta.dim, (i + 1) * meta.dim)),
            }));
          if (rows.length === 0) continue;
          const name = TABLES[modality];
          const t = tables.get(name);
          if (t) await t.add(rows);
          else tables.set(name, await db.createTable(name, rows, { mode: 'overwrite' }));
        }
        meta.count = await count();
      },
      async search(query, k, filter) {
        const hits: SearchHit[] = [];
        for (const modality of ['image', 'text'] as const) {
          if (filter?.modality && filter.modality !== modality) continue;
          const t = tables.get(TABLES[modality]);
          if (!t) continue;
          let q = t.vectorSearch(query).distanceType('cosine').limit(k);
          const where = whereOf(filter);
          if (where) q = q.where(where);
          if ((await t.countRows()) >= config.annAbove) q = q.nprobes(config.nprobes).refineFactor(config.refineFactor);
          for (const r of (await q.toArray()) as Record<string, unknown>[]) {
            const item: IndexItem = { id: String(r.id), modality, group: String(r.group) };
            if (r.lang) item.lang = String(r.lang);
            if (r.path) item.path = String(r.path);
            if (r.text) item.text = String(r.text);
            hits.push({ item, score: 1 - Number(r._distance) });
          }
        }
        return hits.sort((a, b) => b.score - a.score).slice(0, k);
      },
      async persist() {
        for (const t of tables.values()) {
          const rows = await t.countRows();
          const indices = await t.listIndices();
          if (rows >= config.annAbove && !indices.some((i) => i.columns.includes('vector'))) {
            await t.createIndex('vector', {
              config: lancedb.Index.ivfPq({
                distanceType: 'cosine',
                numPartitions: Math.max(1, Math.round(rows / config.rowsPerPartition)),
                numSubVectors: config.numSubVectors ?? Math.max(1, Math.floor(meta.dim / 4)),
              }),
            });
          }
        }
        meta.count = await count();
        writeIndexMeta(ctx.dir, meta);
      },
      async dispose() {
        for (const t of tables.values()) t.close();
        tables.clear();
        db.close();
      },
    };
  },
});
