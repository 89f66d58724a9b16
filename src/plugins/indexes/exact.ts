import { mkdirSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { writeFileAtomic } from '../../core/fs-atomic';
import { rowScores } from '../../core/index/row-scores';
import {
  checkVectors,
  defineIndex,
  matches,
  readIndexMeta,
  writeIndexMeta,
  type IndexItem,
  type IndexMeta,
  type SearchHit,
} from '../../core/index/vector-index';

/**
 * Brute-force cosine search: the oracle the approximate indexes are measured against. The vectors are uploaded to
 * the backend once (after add / open) and every query is one pass over them (src/core/index/row-scores.ts).
 */
export const exact = defineIndex({
  id: 'exact',
  summary:
    'Brute-force cosine similarity over vectors kept on the backend (wasm SIMD, all threads); exact, the oracle for ANN indexes',
  configSchema: z.object({}),
  async create(_config, ctx) {
    const existing = readIndexMeta(ctx, 'exact');
    const meta: IndexMeta = existing ?? {
      plugin: 'exact',
      dim: ctx.dim,
      runId: ctx.runId,
      model: ctx.model,
      count: 0,
      createdAt: new Date().toISOString(),
    };
    let items: IndexItem[] = [];
    let data = new Float32Array(0); // (N, dim)
    let resident: tf.Tensor2D | undefined; // data on the backend, made at the first search after a change
    const masks = new Map<string, Uint8Array>(); // filter → allowed rows, cleared by add
    if (existing) {
      items = readFileSync(join(ctx.dir, 'items.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as IndexItem);
      const buf = readFileSync(join(ctx.dir, 'vectors.f32'));
      data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    }
    return {
      get meta() {
        return { ...meta, count: items.length };
      },
      async add(newItems, vectors) {
        checkVectors(meta, newItems, vectors);
        const next = new Float32Array(data.length + vectors.length);
        next.set(data);
        next.set(vectors, data.length);
        data = next;
        items = items.concat(newItems);
        resident?.dispose();
        resident = undefined;
        masks.clear();
      },
      async search(query, k, filter) {
        if (items.length === 0) return [];
        const key = filter?.modality || filter?.lang ? `${filter.modality ?? ''}\u0000${filter.lang ?? ''}` : undefined;
        let allowed = key === undefined ? undefined : masks.get(key);
        if (key !== undefined && !allowed) {
          allowed = Uint8Array.from(items, (it) => (matches(it, filter) ? 1 : 0));
          masks.set(key, allowed);
        }
        resident ??= tf.tensor2d(data, [items.length, meta.dim]);
        const scores = rowScores(resident, query);
        // Top-k by insertion into a sorted list of at most k (k ≪ N): O(N·k) worst case, no full sort.
        const idx: number[] = [];
        for (let i = 0; i < items.length; i++) {
          if (allowed && !allowed[i]) continue;
          const s = scores[i]!;
          if (idx.length === k && s <= scores[idx[k - 1]!]!) continue;
          let at = idx.length === k ? k - 1 : idx.length;
          while (at > 0 && scores[idx[at - 1]!]! < s) at--;
          idx.splice(at, 0, i);
          if (idx.length > k) idx.pop();
        }
        return idx.map((i): SearchHit => ({ item: items[i]!, score: scores[i]! }));
      },
      async persist() {
        const tmp = `${ctx.dir}.tmp-${process.pid}`;
        rmSync(tmp, { recursive: true, force: true });
        mkdirSync(tmp, { recursive: true });
        writeFileAtomic(join(tmp, 'vectors.f32'), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        writeFileAtomic(join(tmp, 'items.jsonl'), items.map((i) => JSON.stringify(i)).join('\n') + '\n');
        writeIndexMeta(tmp, { ...meta, count: items.length });
        const old = `${ctx.dir}.old-${process.pid}`;
        if (existsSync(ctx.dir)) renameSync(ctx.dir, old);
        renameSync(tmp, ctx.dir);
        rmSync(old, { recursive: true, force: true });
      },
      async dispose() {
        resident?.dispose();
        resident = undefined;
        masks.clear();
        data = new Float32Array(0);
        items = [];
      },
    };
  },
});
