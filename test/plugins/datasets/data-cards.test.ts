import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { datasetCard } from '../../../src/core/data/dataset';
import { createRegistry } from '../../../src/plugins';

const datasets = createRegistry().list('dataset');

describe('data cards', () => {
  it('there are dataset plugins to check', () => {
    expect(datasets.map((p) => p.id)).toContain('manifest');
  });

  it.each(datasets.map((p) => [p.id, datasetCard(p as { id: string; card?: string })] as const))(
    "dataset '%s' has its data card %s with a title and some content",
    (_id, card) => {
      expect(existsSync(card), `${card} is missing`).toBe(true);
      const text = readFileSync(card, 'utf8');
      expect(text).toMatch(/^(---\n[\s\S]*?\n---\n\s*)?# \S/);
      expect(text.length).toBeGreaterThan(500);
    },
  );
});
