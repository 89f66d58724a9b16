import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportEmbeddings, readEmbeddings, type EmbeddingSet } from '../../../src/core/eval/embeddings';
import { retrieval } from '../../../src/plugins/metrics/retrieval';
import { rng } from '../../helpers/fake-run';

const tmp = mkdtempSync(join(tmpdir(), 'unir-emb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A split of float vectors (not quantised: this checks the file round trip and the float32 maths). */
function split(seed: number): EmbeddingSet {
  const r = rng(seed);
  const dim = 8;
  const rows: {
    id: string;
    kind: 'image' | 'text' | 'query';
    lang: string | null;
    group: string | null;
    role: 'caption' | 'chunk' | null;
  }[] = [];
  for (let g = 0; g < 12; g++) {
    rows.push({ id: `img/${g}`, kind: 'image', lang: null, group: `g${g}`, role: null });
    for (const lang of ['en', 'de', 'zh']) {
      rows.push({ id: `cap/${g}/${lang}`, kind: 'text', lang, group: `g${g}`, role: 'caption' });
      rows.push({ id: `chunk/${g}/${lang}`, kind: 'text', lang, group: `g${g}`, role: 'chunk' });
      rows.push({ id: `q/${g}/${lang}`, kind: 'query', lang, group: g % 5 === 0 ? null : `g${g}`, role: null });
    }
  }
  const vectors = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => {
    // a shared direction per group plus noise, L2-normalised
    const g = Number(row.group?.slice(1) ?? 99);
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (vectors[i * dim + d] = Math.sin(g * 7 + d) + (r() - 0.5) * 1.5) ** 2;
    for (let d = 0; d < dim; d++) vectors[i * dim + d]! /= Math.sqrt(norm);
  });
  return {
    ids: rows.map((x) => x.id),
    kind: rows.map((x) => x.kind),
    lang: rows.map((x) => x.lang),
    group: rows.map((x) => x.group),
    role: rows.map((x) => x.role),
    vectors,
  };
}

describe('embeddings export', () => {
  it('writes little-endian float32 rows + a JSON index, and reads them back bit for bit', () => {
    const set = split(1);
    const run = join(tmp, 'run-a');
    const files = exportEmbeddings(run, 'test', set);
    const bytes = readFileSync(files.vectors);
    expect(bytes.byteLength).toBe(set.vectors.length * 4);
    expect(bytes.readFloatLE(4 * 9)).toBe(set.vectors[9]); // row 1, column 1 (dim 8)
    const index = JSON.parse(readFileSync(files.index, 'utf8'));
    expect(index).toMatchObject({ format: 'unir-embeddings-1', split: 'test', dim: 8, count: set.ids.length });
    expect(index.rows[1]).toEqual({ id: 'cap/0/en', kind: 'text', lang: 'en', group: 'g0', role: 'caption' });
    const back = readEmbeddings(run, 'test');
    expect(back.vectors).toEqual(set.vectors);
    expect(back.ids).toEqual(set.ids);
    expect(back.group).toEqual(set.group);
  });

  it('scripts/recompute-metrics.ts, from only the exported files, equals the metric plugin to 1e-6', () => {
    const set = split(2);
    const run = join(tmp, 'run-b');
    exportEmbeddings(run, 'test', set);
    const plugin = retrieval.create(retrieval.configSchema.parse({}), {}).evaluate({ split: 'test', embeddings: set });
    const out = JSON.parse(
      execFileSync(process.execPath, ['bin/run-ts.mjs', 'scripts/recompute-metrics.ts', run, 'test'], {
        encoding: 'utf8',
      }),
    );
    expect(Object.keys(out).sort()).toEqual(['i2t', 't2i', 't2t']);
    let compared = 0;
    for (const task of ['t2i', 'i2t', 't2t'] as const) {
      expect(Object.keys(out[task]).sort()).toEqual(Object.keys(plugin.retrieval![task]!).sort());
      for (const [lang, s] of Object.entries(out[task] as Record<string, Record<string, number>>)) {
        for (const k of ['R@1', 'R@5', 'R@10']) {
          expect(Math.abs(s[k]! - (plugin.retrieval![task]![lang] as Record<string, number>)[k]!)).toBeLessThan(1e-6);
          compared++;
        }
      }
    }
    expect(compared).toBe(36);
    // not a degenerate case: recall is neither 0 nor 1 everywhere
    expect(plugin.retrieval!.t2i!.mean!['R@1']).toBeGreaterThan(0);
    expect(plugin.retrieval!.t2i!.mean!['R@1']).toBeLessThan(1);
  });

  it('a missing or truncated export is a one-line error naming the file', () => {
    const run = join(tmp, 'run-c');
    expect(() => readEmbeddings(run, 'val')).toThrow(
      `${join(run, 'embeddings', 'val.json')}: missing; this run exported no 'val' embeddings (evaluate it again to write them)`,
    );
    exportEmbeddings(run, 'val', split(3));
    writeFileSync(join(run, 'embeddings', 'val.f32'), Buffer.alloc(12));
    expect(() => readEmbeddings(run, 'val')).toThrow(
      /val\.f32: expected \d+ bytes \(\d+ × 8 float32\), found 12; re-export the embeddings$/,
    );
    expect(() => exportEmbeddings(run, '../x', split(3))).toThrow(
      "embeddings: split name '../x' must be a plain file name",
    );
  });
});
