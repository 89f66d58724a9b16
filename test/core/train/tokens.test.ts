import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedTable, tokenCacheKey } from '../../../src/core/train/token-cache';
import { buildTokenTable, TokenBatcher } from '../../../src/core/train/tokens';
import { wordNgram } from '../../../src/plugins/tokenizers/word-ngram';

const tok = wordNgram.create(wordNgram.configSchema.parse({ buckets: 256, maxLength: 8 }), undefined);
const TEXTS = ['grinning face', 'cat', 'face with tears of joy'];

describe('raw texts travel with tokens (what pretrained towers read)', () => {
  it('a tokenizer made by defineTokenizer puts the texts on its batches', () => {
    expect(tok.encode(TEXTS).texts).toEqual(TEXTS);
  });

  it("a table keeps its texts; a batch of rows carries the rows' texts and the whole table as corpus", () => {
    const table = buildTokenTable(tok, TEXTS);
    expect(table.texts).toEqual(TEXTS);
    const b = new TokenBatcher(table, 4).rows([2, 0]);
    expect(b.texts).toEqual([TEXTS[2], TEXTS[0]]);
    expect(b.corpus).toBe(table.texts);
    expect(new TokenBatcher(table, 4).rows([1]).corpus).toBe(table.texts); // the same array: encoded once
  });

  it("a batch of rows is the table's rows, each field trimmed to the longest row (ids with their pieces)", () => {
    const table = buildTokenTable(tok, [...TEXTS, 'face', 'tears of joy cat face']);
    const { length: T, pieces: G } = table;
    expect(G).toBeGreaterThan(1);
    const batcher = new TokenBatcher(table, 5);
    for (const rows of [[2, 0], [1], [4, 3, 0, 2]]) {
      const b = batcher.rows(rows);
      const Tb = Math.max(...rows.map((r) => table.tokens[r]!));
      expect([b.batch, b.length, b.pieces]).toEqual([rows.length, Tb, G]);
      const cut = <A extends ArrayLike<number>>(x: A, per: number) =>
        rows.flatMap((r) => Array.from(x).slice(r * T * per, (r * T + Tb) * per));
      expect(Array.from(b.ids)).toEqual(cut(table.ids, G));
      expect(Array.from(b.mask)).toEqual(cut(table.mask, 1));
      expect(Array.from(b.wordIndex)).toEqual(cut(table.wordIndex, 1));
      expect(Array.from(b.firstPiece)).toEqual(cut(table.firstPiece, 1));
    }
  });

  it('the token cache writes and reads the texts back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unir-tokens-'));
    try {
      const key = tokenCacheKey({ tokenizer: { id: 'word-ngram' }, texts: TEXTS });
      const built = cachedTable(dir, key, () => buildTokenTable(tok, TEXTS));
      const notCached = (): typeof built => {
        throw new Error('not from the cache');
      };
      const read = cachedTable(dir, key, notCached);
      expect(read.texts).toEqual(TEXTS);
      expect(Array.from(read.ids)).toEqual(Array.from(built.ids));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
