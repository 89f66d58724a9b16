import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { appendRows, FilterMasks, type FlatRows, persistFlat, readFlat, topK } from '../../core/index/flat-store';
import { rowScores } from '../../core/index/row-scores';
import {
  checkVectors,
  defineIndex,
  type IndexMeta,
  newIndexMeta,
  readIndexMeta,
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
    const meta: IndexMeta = existing ?? newIndexMeta(ctx, 'exact');
    let rows: FlatRows = existing ? readFlat(ctx.dir) : { items: [], data: new Float32Array(0) };
    let resident: tf.Tensor2D | undefined; // rows.data on the backend, made at the first search after a change
    const masks = new FilterMasks();
    return {
      get meta() {
        return { ...meta, count: rows.items.length };
      },
      async add(newItems, vectors) {
        checkVectors(meta, newItems, vectors);
        rows = appendRows(rows, newItems, vectors);
        resident?.dispose();
        resident = undefined;
        masks.clear();
      },
      async search(query, k, filter) {
        if (rows.items.length === 0) return [];
        resident ??= tf.tensor2d(rows.data, [rows.items.length, meta.dim]);
        const scores = rowScores(resident, query);
        return topK(scores, k, masks.get(rows.items, filter)).map(
          (i): SearchHit => ({ item: rows.items[i]!, score: scores[i]! }),
        );
      },
      async persist() {
        persistFlat(ctx.dir, rows, meta);
      },
      async dispose() {
        resident?.dispose();
        resident = undefined;
        masks.clear();
        rows = { items: [], data: new Float32Array(0) };
      },
    };
  },
});
