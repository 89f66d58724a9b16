import { describe, expect, it } from 'vitest';
import { createDataset, type DatasetImage } from '../../../src/core/data/dataset';
import { HoldoutSchema, withDesignHoldout } from '../../../src/core/data/holdout';
import type { ManifestRecord } from '../../../src/core/data/manifest-schema';

/** 20 train groups with a google and (for even groups) a twitter image, 2 val groups, one query per group + 4 group-less. */
function dataset() {
  const records: (ManifestRecord | DatasetImage)[] = [];
  const img = (group: string, family: string, split = 'train'): DatasetImage => ({
    type: 'image',
    line: 1,
    id: `img/${family}/${group}`,
    group,
    split,
    path: `${family}/${group}.png`,
    family,
    file: `/x/${family}/${group}.png`,
  });
  for (let g = 0; g < 20; g++) {
    const group = `g${g}`;
    records.push(img(group, 'google'), ...(g % 2 === 0 ? [img(group, 'twitter')] : []));
    records.push({
      type: 'text',
      line: 1,
      id: `cap/${group}/en`,
      group,
      split: 'train',
      lang: 'en',
      role: 'caption',
      text: `concept ${g}`,
    });
    records.push({
      type: 'query',
      line: 1,
      id: `q/${group}`,
      group,
      split: 'train',
      lang: 'en',
      text: `find concept ${g}`,
      intent: 'find_image',
      slots: [],
      semanticText: `concept ${g}`,
    });
  }
  for (let k = 0; k < 40; k++) {
    records.push({
      type: 'query',
      line: 1,
      id: `q/none/${k}`,
      group: null,
      split: 'train',
      lang: 'en',
      text: `play song ${k}`,
      intent: 'play_music',
      slots: [],
      semanticText: `song ${k}`,
    });
  }
  records.push(img('v0', 'google', 'val'), img('v0', 'twitter', 'val'));
  return createDataset({ name: 'toy', root: '/x', manifestPath: '/x/manifest.jsonl', records });
}
const h = (o: Record<string, unknown> = {}) => HoldoutSchema.parse(o);

describe('design holdout', () => {
  it('moves one family of a slice of multi-family train groups into val-design, with copies of their texts and queries', () => {
    const ds = withDesignHoldout(dataset(), h({ groups: 4 }));
    expect(ds.splits()).toEqual(['train', 'val', 'val-design']);
    const vd = ds.split('val-design');
    expect(vd.images.map((i) => i.family)).toEqual(['twitter', 'twitter', 'twitter', 'twitter']); // 'auto' = last family
    const groups = new Set(vd.images.map((i) => i.group));
    expect(groups.size).toBe(4);
    for (const g of groups) expect(Number(g.slice(1)) % 2).toBe(0); // only groups with both families qualify
    const train = ds.split('train');
    for (const g of groups) {
      expect(train.images.filter((i) => i.group === g).map((i) => i.family)).toEqual(['google']); // keeps its other family
      expect(train.texts.some((t) => t.group === g)).toBe(true); // texts stay in train
    }
    expect(vd.texts.map((t) => t.group).sort()).toEqual([...groups].sort());
    expect(vd.texts.every((t) => t.id.endsWith('@val-design') && t.split === 'val-design')).toBe(true);
    expect(
      vd.queries
        .filter((q) => q.group !== null)
        .map((q) => q.group)
        .sort(),
    ).toEqual([...groups].sort());
    // group-less queries join in the slice's proportion (4 of 20 groups → ≈ 8 of 40)
    const none = vd.queries.filter((q) => q.group === null).length;
    expect(none).toBeGreaterThan(2);
    expect(none).toBeLessThan(16);
    expect(train.images.length + vd.images.length).toBe(dataset().split('train').images.length);
  });

  it('is fixed by its seed, draws from `within` when given, and caps at the eligible groups', () => {
    const a = withDesignHoldout(dataset(), h({ groups: 3 }))
      .split('val-design')
      .images.map((i) => i.id);
    expect(
      withDesignHoldout(dataset(), h({ groups: 3 }))
        .split('val-design')
        .images.map((i) => i.id),
    ).toEqual(a);
    expect(
      withDesignHoldout(dataset(), h({ groups: 3, seed: 9 }))
        .split('val-design')
        .images.map((i) => i.id),
    ).not.toEqual(a);
    const within = new Set(['g2', 'g4', 'g5']);
    expect(
      withDesignHoldout(dataset(), h({ groups: 5 }), 'data.holdout', within)
        .split('val-design')
        .images.map((i) => i.group)
        .sort(),
    ).toEqual(['g2', 'g4']);
    expect(withDesignHoldout(dataset(), h({ groups: 99 })).split('val-design').images.length).toBe(10);
  });

  it('explains what is wrong in one line', () => {
    expect(() => withDesignHoldout(dataset(), h({ family: 'openmoji' }))).toThrow(
      "data.holdout.family: 'openmoji' is not a train family of 'toy' (google, twitter)",
    );
    expect(() => withDesignHoldout(dataset(), h({ split: 'val' }))).toThrow(
      "data.holdout.split: dataset 'toy' already has a split 'val'; choose another name",
    );
    const one = createDataset({
      name: 'one',
      root: '/x',
      manifestPath: '/x/m.jsonl',
      records: dataset().images.filter((i) => i.family === 'google'),
    });
    expect(() => withDesignHoldout(one, h())).toThrow(
      "data.holdout: the train split of 'one' has images of one family (google); a design holdout needs two or more (drop data.holdout)",
    );
  });
});
