// Fixtures for the retrieval tests (not a test file: imported by several).
import { expect } from 'vitest';
import type { EmbeddingSet, RowKind, TextRole } from '../../../src/core/eval/embeddings';
import { rng } from '../../helpers/fake-run';

/** Deep equality with numbers compared to 1e-9 (the oracle sums in float64, in another order). */
export function expectClose(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    expect(Math.abs((actual as number) - expected), `${path}: ${actual} vs ${expected}`).toBeLessThan(1e-9);
    return;
  }
  if (expected && typeof expected === 'object') {
    expect(actual && typeof actual === 'object', path).toBe(true);
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const k of Object.keys(expected))
      expectClose((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

/**
 * A random split whose vector entries are multiples of 1/2 in [-1, 1] and dim 3: dot products are exact in
 * float32 and float64 alike, and exact ties between relevant and irrelevant items are frequent.
 */
export function randomSplit(seed: number, sizes = { images: 7, captions: 11, chunks: 9, queries: 11 }, groups = 4) {
  const r = rng(seed);
  const dim = 3;
  const langs = ['en', 'de', 'ja'];
  const ids: string[] = [];
  const kind: RowKind[] = [];
  const lang: (string | null)[] = [];
  const group: (string | null)[] = [];
  const role: (TextRole | null)[] = [];
  const vec: number[] = [];
  const add = (k: RowKind, n: number, ro: TextRole | null, withLang: boolean) => {
    for (let i = 0; i < n; i++) {
      ids.push(`${k}-${ro ?? ''}-${i}`);
      kind.push(k);
      role.push(ro);
      lang.push(withLang ? langs[Math.floor(r() * langs.length)]! : null);
      group.push(r() < 0.1 ? null : `g${Math.floor(r() * groups)}`);
      for (let d = 0; d < dim; d++) vec.push(Math.round(r() * 4 - 2) / 2);
    }
  };
  add('image', sizes.images, null, false);
  add('text', sizes.captions, 'caption', true);
  add('text', sizes.chunks, 'chunk', true);
  add('query', sizes.queries, null, true);
  const set: EmbeddingSet = { ids, kind, lang, group, role, vectors: new Float32Array(vec), dim };
  const qrows = kind.map((k, i) => (k === 'query' ? i : -1)).filter((i) => i >= 0);
  const plain: EmbeddingSet = {
    ids: qrows.map((i) => ids[i]!),
    kind: qrows.map(() => 'query' as const),
    lang: qrows.map((i) => lang[i]!),
    group: qrows.map((i) => group[i]!),
    vectors: new Float32Array(qrows.flatMap(() => [0, 1, 2].map(() => Math.round(r() * 4 - 2) / 2))),
    dim,
  };
  return { set, plain, dim };
}
