import { mkdirSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { writeFileAtomic } from '../../core/fs-atomic';
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

/** Brute-force cosine search on the tfjs backend: the oracle the approximate indexes are measured against. */
export const exact = defineIndex({
  id: 'exact',
  summary: 'Brute-force cosine similarity on the tfjs backend, batched; exact, the oracle for ANN indexes',
  configSchema: z.object({
    batch: z.number().int().positive().default(65536).describe('rows scored per matmul'),
  }),
  async create(config, ctx) {
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
      },
      async search(query, k, filter) {
        const allowed = items.map((it) => matches(it, filter));
        const scores = new Float32Array(items.length);
        const q = tf.tensor2d(query, [1, meta.dim]);
        try {
          for (let start = 0; start < items.length; start += config.batch) {
            const n = Math.min(config.batch, items.length - start);
            const s = tf.tidy(() =>
              tf.matMul(
                tf.tensor2d(data.subarray(start * meta.dim, (start + n) * meta.dim), [n, meta.dim]),
                q,
                false,
                true,
              ),
            );
            scores.set(s.dataSync() as Float32Array, start);
            s.dispose();
          }
        } finally {
          q.dispose();
        }
        // Top-k by insertion into a sorted list of at most k (k ≪ N): O(N·k) worst case, no full sort.
        const idx: number[] = [];
        for (let i = 0; i < items.length; i++) {
          if (!allowed[i]) continue;
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
        data = new Float32Array(0);
        items = [];
      },
    };
  },
});
