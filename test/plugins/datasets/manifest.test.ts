import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/core/data/dataset';
import { manifest } from '../../../src/plugins/datasets/manifest';
import { createRegistry } from '../../../src/plugins';

const VALID = 'test/fixtures/manifests/valid/manifest.jsonl';

describe("dataset plugin 'manifest'", () => {
  it('is registered, parses {} with its defaults and points to the format card', () => {
    const reg = createRegistry();
    expect(reg.get('dataset', 'manifest')).toBe(manifest);
    expect(reg.parseConfig('dataset', 'manifest', {})).toEqual({ skipBadImages: false, checkImages: true });
    expect(manifest.card).toBe('data-cards/FORMAT.md');
  });

  it('creates a validated Dataset from a manifest path', async () => {
    const ds = await createRegistry().create('dataset', 'manifest', { path: VALID, languages: ['en', 'ja'] });
    expect(ds.name).toBe('tiny');
    expect(ds.languages).toEqual(['en', 'ja']);
    expect(ds.splits()).toEqual(['train', 'test']);
    expect(ds.split('train').images.map((i) => i.family)).toEqual(['png', 'svg', 'jpg']);
    expect(ds.queries.find((q) => q.id === 'q/cat/en/0/train')!.slots).toEqual([
      { label: 'object', start: 18, end: 26 },
      { label: 'time', start: 32, end: 41 },
    ]);
  });

  it('without a path → UserError; bad config → field path', async () => {
    await expect(createRegistry().create('dataset', 'manifest', {})).rejects.toMatchObject({
      name: 'UserError',
      message:
        "dataset 'manifest': config.path is required; give the path of a manifest.jsonl (see data-cards/FORMAT.md)",
    });
    expect(() => createRegistry().parseConfig('dataset', 'manifest', { skipBadImages: 'yes' }, 'data')).toThrow(
      'data.skipBadImages: Invalid input: expected boolean, received string',
    );
  });
});
