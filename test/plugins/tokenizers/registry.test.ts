import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../../src/plugins';

describe('tokenizer plugins in the registry', () => {
  it('word-ngram and hf-tokenizer are built in, parse {} and carry a summary', () => {
    const r = createRegistry({ warn: () => {} });
    expect(r.list('tokenizer').map((p) => p.id)).toEqual(['hf-tokenizer', 'word-ngram']);
    for (const p of r.list('tokenizer')) {
      expect(p.kind).toBe('tokenizer');
      expect(p.summary.length).toBeGreaterThan(10);
      expect(p.configSchema.safeParse({}).success).toBe(true);
    }
    expect(() => r.get('tokenizer', 'word-ngrams')).toThrow("Did you mean 'word-ngram'?");
  });
});
