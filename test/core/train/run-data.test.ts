import { describe, expect, it } from 'vitest';
import { resolveExperiment } from '../../../src/core/config/experiment';
import { createDataset } from '../../../src/core/data/dataset';
import type { ManifestRecord } from '../../../src/core/data/manifest-schema';
import { chanceT2iR10, checkStagesData, describeRunData, runDataOf } from '../../../src/core/train/run-data';
import { chance } from '../../../src/plugins/baselines/chance';
import { createRegistry } from '../../../src/plugins';

const registry = createRegistry({ warn: () => {} });

/** Groups g0..g{n-1} in `split`: `images[g]` images each, captions in `langs` (the first group of each language has two). */
function records(split: string, images: number[], langs: string[]): ManifestRecord[] {
  const out: ManifestRecord[] = [];
  let line = 1;
  images.forEach((k, g) => {
    for (let i = 0; i < k; i++)
      out.push({
        type: 'image',
        id: `${split}/i${g}.${i}`,
        group: `g${g}`,
        split,
        path: `x${g}.png`,
        line: line++,
      } as ManifestRecord);
    langs.forEach((lang, li) => {
      for (let c = 0; c < (g === li ? 2 : 1); c++)
        out.push({
          type: 'text',
          id: `${split}/c${g}.${lang}.${c}`,
          group: `g${g}`,
          split,
          lang,
          role: 'caption',
          text: `c ${g}`,
          line: line++,
        } as ManifestRecord);
      out.push({
        type: 'text',
        id: `${split}/k${g}.${lang}`,
        group: `g${g}`,
        split,
        lang,
        role: 'chunk',
        text: `k ${g}`,
        line: line++,
      } as ManifestRecord);
    });
  });
  return out;
}

const dataset = (recs: ManifestRecord[]) =>
  createDataset({ name: 'syn', root: '/nowhere', manifestPath: '/nowhere/manifest.jsonl', records: recs });
const experiment = (data: Record<string, unknown>, curriculum: Record<string, unknown> = { id: 'three-stage' }) =>
  resolveExperiment(
    { id: 'x', data: { dataset: { id: 'manifest', path: '/nowhere/manifest.jsonl' }, ...data }, curriculum },
    registry,
  );

describe('chance R@10 of text→image', () => {
  it("is the chance baseline's exact expectation (per language, then the macro mean), with uneven groups and languages", async () => {
    const test = records('test', [1, 3, 2, 1, 1, 5, 1, 2, 1, 1, 4, 1, 2], ['en', 'de', 'ja']);
    const ds = dataset(test);
    const split = ds.split('test');
    const base = await registry.create('baseline', 'chance', {}).compute({
      split: 'test',
      images: split.images,
      captions: split.texts.filter((t) => t.role === 'caption'),
      chunks: [],
      queries: [],
      trainImages: () => Promise.reject(new Error('unused')),
      splitImages: () => Promise.reject(new Error('unused')),
    });
    const r10 = chanceT2iR10(split)!;
    expect(r10).toBeCloseTo(base.t2i!.mean!['R@10'], 12);
    // one image per group, 12 groups: 10/12 whatever the languages (the smoke case of the issue)
    expect(chanceT2iR10(dataset(records('test', Array(12).fill(1), ['en', 'de'])).split('test'))).toBeCloseTo(
      10 / 12,
      12,
    );
    expect(chanceT2iR10(dataset(records('test', Array(50).fill(1), ['en'])).split('test'))).toBeCloseTo(10 / 50, 12);
    expect(chanceT2iR10({ images: [], texts: [], queries: [] })).toBeUndefined();
  });
});

describe('the data a run uses, checked against its stages', () => {
  const ds = dataset([
    ...records('train', Array(6).fill(1), ['en']),
    ...records('val', Array(40).fill(1), ['en']),
    ...records('test', Array(8).fill(1), ['en']),
  ]);

  it('describes each split with maxGroups and warns above chance R@10 0.2, naming the field that fixes it', () => {
    const { experiment: e } = experiment({ maxGroups: { val: 30 } });
    const d = describeRunData(runDataOf(e, ds));
    expect(d.lines).toEqual([
      "data: dataset 'syn' (/nowhere/manifest.jsonl): splits train, val, test; languages en",
      'data: the experiment keeps data.maxGroups (val 30)',
      'data: train (train): 6 groups, 6 images, 13 texts, 0 queries, languages en',
      'data: val (evaluated after every stage): 30 of 40 groups (data.maxGroups.val 30), 30 images, 60 texts, 0 queries, languages en, chance R@10 (t2i) 0.333',
      'data: test (final test): 8 groups, 8 images, 17 texts, 0 queries, languages en, chance R@10 (t2i) 1.000',
    ]);
    expect(d.warnings).toEqual([
      'warning: val: a random ranking already scores R@10 0.333 on text→image (30 groups, 30 images), above 0.2: its R@10 cannot tell a model from chance; raise data.maxGroups.val (30; the split has 40 groups)',
      'warning: test: a random ranking already scores R@10 1.000 on text→image (8 groups, 8 images), above 0.2: its R@10 cannot tell a model from chance; evaluate on a split with more groups than 8',
    ]);
  });

  it('warns when an evaluated split has nothing text→image can be measured on', () => {
    const imagesOnly = dataset([
      ...records('train', Array(6).fill(1), ['en']),
      ...records('val', Array(40).fill(1), ['en']),
      ...records('test', [1, 1], []).filter((r) => r.type === 'image'),
    ]);
    const { experiment: e } = experiment({});
    const d = describeRunData(runDataOf(e, imagesOnly));
    expect(d.lines.at(-1)).toBe(
      'data: test (final test): 2 groups, 2 images, 0 texts, 0 queries, languages (none), chance R@10 (t2i) n/a: no caption with an image of its group',
    );
    expect(d.warnings.at(-1)).toBe(
      'warning: test: no caption has an image of its group there, so text→image and image→text are not measured on it (nor NLU: it has no queries); evaluate on a split with images and captions',
    );
  });

  it('refuses a missing split naming the field and the splits there are', () => {
    const { experiment: e } = experiment({ testSplit: 'test-unseen' });
    expect(() => runDataOf(e, ds)).toThrow(
      "data.testSplit: dataset 'syn' (/nowhere/manifest.jsonl) has no split 'test-unseen' (splits: train, val, test); set data.testSplit to one of those, or add 'test-unseen' records to the manifest",
    );
  });

  it('refuses terms the data cannot feed, and warns about batches with more rows than groups', () => {
    const { experiment: e, stages } = experiment({ batchSize: 16 });
    // three-stage needs queries (query-chunk in stage 1): this dataset has none
    expect(() => checkStagesData(runDataOf(e, ds), stages, registry, 16)).toThrow(
      "curriculum.stages.stage1, term 'qc' (info-nce on query-chunk): the train split of dataset 'syn' (/nowhere/manifest.jsonl) has no 'query-chunk' examples (languages en); add them to the data, drop the term (--set curriculum.stages.stage1.terms.qc.weight=0), or skip the stage (--set curriculum.stages.stage1.skip=true)",
    );
    const contrastive = experiment(
      { batchSize: 16 },
      {
        id: 'custom',
        stages: {
          only: {
            until: { steps: 1 },
            train: 'all',
            terms: [
              { name: 'ti', loss: 'info-nce', pair: 'image-caption' },
              { name: 'tc', loss: 'info-nce', pair: 'caption-chunk' },
            ],
          },
        },
      },
    );
    // 8 rows of each pair per batch, 6 train groups: 2 rows per batch are another row's group
    expect(checkStagesData(runDataOf(contrastive.experiment, ds), contrastive.stages, registry, 16)).toEqual([
      "'image-caption' batches of up to 8 rows (only) but the train data has only 6 groups of them: up to 2 rows per batch are false negatives; lower data.batchSize (or the stage's batchSize) or add groups",
      "'caption-chunk' batches of up to 8 rows (only) but the train data has only 6 groups of them: up to 2 rows per batch are false negatives; lower data.batchSize (or the stage's batchSize) or add groups",
    ]);
    expect(checkStagesData(runDataOf(contrastive.experiment, ds), contrastive.stages, registry, 12)).toEqual([]);
  });
});
