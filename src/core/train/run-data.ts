// The data a run uses (train, the eval split, the test split after languages and maxGroups), checked against
// what the experiment's stages need before anything is built, and described in a few lines at the start of a run.
import type { Experiment } from '../config/experiment';
import type { PairType, ResolvedStage } from '../config/stage';
import { UserError } from '../errors';
import { chanceScores } from '../eval/baseline';
import type { FeatureKey } from '../loss/loss';
import type { Registry } from '../registry';
import { subsetRecords } from '../data/subset';
import { allocateBatch, CONTRASTIVE_PAIRS } from './sampler';
import type { Dataset, DatasetRecords } from '../data/dataset';
import {
  captionChunkPairs,
  imageCaptionPairs,
  imageImagePairs,
  queryChunkPairs,
  translationPairs,
} from '../data/pairs';

/** Chance R@10 (text→image) above this is warned about: the split is too small to tell a model from chance. */
export const CHANCE_R10_WARN = 0.2;

export type SplitRole = 'train' | 'eval' | 'test';

/** One split as a run uses it. */
export interface SplitUse {
  roles: SplitRole[];
  split: string;
  /** The records after data.languages (trainLanguages for train) and data.maxGroups. */
  records: DatasetRecords;
  /** Groups in the whole split, and in `records`. */
  splitGroups: number;
  groups: number;
  maxGroups?: number;
  /** Languages of the texts and queries in `records`. */
  languages: string[];
}

export interface RunData {
  dataset: Dataset;
  /** What the experiment narrows the dataset to (data.dataset.languages, data.languages, data.maxGroups, …), as `field (values)`. */
  limits: string[];
  train: SplitUse;
  /** The split evaluated after every stage (data.evalSplit) and at the end (data.testSplit); one entry when equal. */
  evaluated: SplitUse[];
}

const groupsIn = (r: DatasetRecords) => new Set([...r.images, ...r.texts].map((x) => x.group)).size;
const languagesIn = (r: DatasetRecords) => [...new Set([...r.texts, ...r.queries].map((x) => x.lang))].sort();
const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const where = (ds: Dataset) => `dataset '${ds.name}' (${ds.manifestPath})`;

/**
 * The records of train, data.evalSplit and data.testSplit as the run will use them. One-line UserErrors for a
 * language the dataset lacks, a split it lacks (naming the ones it has and the field to change) and an evaluated
 * split left empty by data.languages / data.maxGroups.
 */
export function runDataOf(e: Pick<Experiment, 'data' | 'seed'>, dataset: Dataset): RunData {
  const d = e.data;
  for (const [field, list] of [
    ['languages', d.languages],
    ['trainLanguages', d.trainLanguages],
  ] as const) {
    const unknown = list?.filter((l) => !dataset.languages.includes(l)) ?? [];
    if (unknown.length)
      throw new UserError(
        `data.${field}: ${unknown.join(', ')} not in dataset '${dataset.name}' (${dataset.languages.join(', ')})`,
      );
  }
  const have = dataset.splits();
  const known = have.join(', ') || 'none';
  if (!have.includes('train')) {
    throw new UserError(
      `${where(dataset)} has no train split (splits: ${known}); every run trains on 'train': add records with "split": "train"`,
    );
  }
  for (const [field, split] of [
    ['evalSplit', d.evalSplit],
    ['testSplit', d.testSplit],
  ] as const) {
    if (split === 'val-design' && !d.holdout)
      throw new UserError(
        `data.${field}: the split 'val-design' exists only with data.holdout; add data.holdout: {} or evaluate on 'val'`,
      );
    if (!have.includes(split)) {
      throw new UserError(
        `data.${field}: ${where(dataset)} has no split '${split}' (splits: ${known}); set data.${field} to one of those, or add '${split}' records to the manifest`,
      );
    }
  }
  const use = (split: string, roles: SplitRole[]): SplitUse => {
    const all = dataset.split(split);
    const maxGroups = d.maxGroups[split as keyof Experiment['data']['maxGroups']];
    const records = subsetRecords(all, {
      maxGroups,
      languages: split === 'train' ? (d.trainLanguages ?? d.languages) : d.languages,
      seed: e.seed,
    });
    return {
      roles,
      split,
      records,
      splitGroups: groupsIn(all),
      groups: groupsIn(records),
      maxGroups,
      languages: languagesIn(records),
    };
  };
  const evaluated =
    d.evalSplit === d.testSplit
      ? [use(d.evalSplit, ['eval', 'test'])]
      : [use(d.evalSplit, ['eval']), use(d.testSplit, ['test'])];
  for (const s of evaluated) {
    const r = s.records;
    if (r.images.length + r.texts.length + r.queries.length === 0) {
      const field = s.roles.includes('eval') ? 'evalSplit' : 'testSplit';
      throw new UserError(
        `data.${field}: split '${s.split}' of ${where(dataset)} has nothing left to evaluate${d.languages ? ` in data.languages (${d.languages.join(', ')})` : ''}; evaluate another split or widen data.languages`,
      );
    }
  }
  const limits: string[] = [];
  const dsLanguages = (d.dataset as { languages?: unknown }).languages;
  if (Array.isArray(dsLanguages)) limits.push(`data.dataset.languages (${dsLanguages.join(', ')})`);
  if (d.languages) limits.push(`data.languages (${d.languages.join(', ')})`);
  if (d.trainLanguages) limits.push(`data.trainLanguages (${d.trainLanguages.join(', ')})`);
  const maxGroups = Object.entries(d.maxGroups).filter(([, n]) => n !== undefined);
  if (maxGroups.length) limits.push(`data.maxGroups (${maxGroups.map(([k, n]) => `${k} ${n}`).join(', ')})`);
  if (d.holdout) limits.push(`data.holdout (split ${d.holdout.split})`);
  return { dataset, limits, train: use('train', ['train']), evaluated };
}

/** The groups of each pair type's training examples (what in-batch negatives are drawn from), by pair. */
function pairGroups(r: DatasetRecords, pair: PairType): { examples: number; groups: number } {
  const tally = (gs: (string | null)[]) => ({
    examples: gs.length,
    groups: new Set(gs.filter((g) => g !== null)).size,
  });
  switch (pair) {
    case 'image-caption':
      return tally(imageCaptionPairs(r).map((p) => p.image.group));
    case 'image-image':
      return tally(imageImagePairs(r).map((p) => p.image.group));
    case 'translation':
      return tally(translationPairs(r).map((p) => p.text.group));
    case 'caption-chunk':
      return tally(captionChunkPairs(r).map((p) => p.caption.group));
    case 'query-chunk':
      return tally(queryChunkPairs(r).map((p) => p.query.group));
    case 'query-nlu':
      return tally(r.queries.map((q) => q.group));
    case 'query-semantic':
      return tally(r.queries.filter((q) => q.semanticText.trim()).map((q) => q.group));
  }
}

/**
 * What a dataset property can break in the stages, checked before the first step: a term whose pair has no
 * training examples, an intent loss on fewer than 2 intents (softmax over one class: tfjs's oneHot refuses it),
 * a slot loss without slot labels, in-batch negatives from fewer than 2 groups. Throws the first as a one-line
 * UserError naming the stage, term, loss and dataset, with the fix; returns warnings, one per pair type with fewer
 * groups than its rows in a batch (some in-batch negatives are then positives).
 */
export function checkStagesData(
  rd: RunData,
  stages: readonly ResolvedStage[],
  registry: Registry,
  batchSize: number,
): string[] {
  const ds = rd.dataset;
  const train = rd.train.records;
  const langs = rd.train.languages.length ? ` (languages ${rd.train.languages.join(', ')})` : '';
  const crowded = new Map<PairType, { rows: number; groups: number; stages: string[] }>();
  const needsOf = (loss: string) => (registry.get('loss', loss) as { needs?: readonly FeatureKey[] }).needs ?? [];
  /** The flags that drop (weight 0) every term whose loss reads `feature`, or just the term `only`. */
  const drop = (feature: FeatureKey | undefined, only?: { stage: string; term: string }) =>
    (only
      ? [only]
      : stages.flatMap((s) =>
          s.terms.filter((t) => needsOf(t.loss).includes(feature!)).map((t) => ({ stage: s.name, term: t.name })),
        )
    )
      .map((x) => `--set curriculum.stages.${x.stage}.terms.${x.term}.weight=0`)
      .join(' ');
  const tallies = new Map<PairType, ReturnType<typeof pairGroups>>(); // each pair's examples listed once
  for (const s of stages) {
    const counts = new Map(allocateBatch(s.batchSize ?? batchSize, s.data));
    for (const t of s.terms) {
      const at = `curriculum.stages.${s.name}, term '${t.name}' (${t.loss} on ${t.pair})`;
      const needs = needsOf(t.loss);
      const dropThis = `drop the term (${drop(undefined, { stage: s.name, term: t.name })})`;
      let tally = tallies.get(t.pair);
      if (!tally) tallies.set(t.pair, (tally = pairGroups(train, t.pair)));
      const { examples, groups } = tally;
      if (examples === 0) {
        throw new UserError(
          `${at}: the train split of ${where(ds)} has no '${t.pair}' examples${langs}; add them to the data, ${dropThis}, or skip the stage (--set curriculum.stages.${s.name}.skip=true)`,
        );
      }
      if (needs.includes('intentLogits') && ds.intents.length < 2) {
        const have = ds.intents.length ? `1 intent (${ds.intents[0]})` : 'no intents';
        throw new UserError(
          `${at}: ${where(ds)} has ${have}; intent classification needs at least 2: add queries of another intent (or list it in the header's intents), or drop the intent terms (${drop('intentLogits')})`,
        );
      }
      if (needs.includes('slotLogits') && ds.slotLabels.length < 1) {
        throw new UserError(
          `${at}: ${where(ds)} has no slot labels; slot tagging needs at least 1: add slots to its queries (or slotLabels to the header), or drop the slot terms (${drop('slotLogits')})`,
        );
      }
      if (CONTRASTIVE_PAIRS.has(t.pair) && needs.includes('a') && needs.includes('b')) {
        if (groups < 2) {
          throw new UserError(
            `${at}: the train split of ${where(ds)} has ${count(groups, 'group')} with '${t.pair}' examples${langs}; in-batch negatives need at least 2 (every other row of a batch would be a positive): add groups, or ${dropThis}`,
          );
        }
        const n = counts.get(t.pair) ?? 0;
        if (groups < n) {
          const w = crowded.get(t.pair) ?? { rows: 0, groups, stages: [] };
          w.rows = Math.max(w.rows, n);
          if (!w.stages.includes(s.name)) w.stages.push(s.name);
          crowded.set(t.pair, w);
        }
      }
    }
  }
  return [...crowded].map(
    ([pair, w]) =>
      `'${pair}' batches of up to ${w.rows} rows (${w.stages.join(', ')}) but the train data has only ${count(w.groups, 'group')} of them: up to ${w.rows - w.groups} rows per batch are false negatives; lower data.batchSize (or the stage's batchSize) or add groups`,
  );
}

/**
 * Expected text→image R@10 of a random ranking on a split: every caption (in the kept languages) ranks the split's
 * images, its group's images relevant; the mean per language, then over languages, as metrics.json's chance
 * baseline. Undefined when the split has no caption with an image of its group.
 */
export function chanceT2iR10(r: DatasetRecords): number | undefined {
  const perGroup = new Map<string, number>();
  for (const im of r.images) perGroup.set(im.group, (perGroup.get(im.group) ?? 0) + 1);
  const byLang = new Map<string, { n: number; r: number }[]>();
  for (const c of r.texts) {
    if (c.role !== 'caption') continue;
    (byLang.get(c.lang) ?? byLang.set(c.lang, []).get(c.lang)!).push({
      n: r.images.length,
      r: perGroup.get(c.group) ?? 0,
    });
  }
  const per = [...byLang.values()].map((qs) => chanceScores(qs)?.['R@10']).filter((x): x is number => x !== undefined);
  return per.length ? per.reduce((a, b) => a + b, 0) / per.length : undefined;
}

/**
 * What a run prints at its start: the dataset, then per split used its groups (of the split's, with maxGroups),
 * images, languages and, for evaluated splits, chance R@10 of text→image; `warnings` when that chance is above
 * CHANCE_R10_WARN (R@10 then says little), naming the field that would fix it.
 */
export function describeRunData(rd: RunData): { lines: string[]; warnings: string[] } {
  const ds = rd.dataset;
  const lines = [
    `data: ${where(ds)}: splits ${ds.splits().join(', ')}; languages ${ds.languages.join(', ') || '(none)'}`,
  ];
  if (rd.limits.length) lines.push(`data: the experiment keeps ${rd.limits.join(', ')}`);
  const warnings: string[] = [];
  for (const s of [rd.train, ...rd.evaluated]) {
    const r = s.records;
    const groups =
      s.groups === s.splitGroups
        ? count(s.groups, 'group')
        : `${s.groups} of ${s.splitGroups} groups (data.maxGroups.${s.split} ${s.maxGroups ?? '-'})`;
    const fields = [
      groups,
      count(r.images.length, 'image'),
      count(r.texts.length, 'text'),
      `${r.queries.length} quer${r.queries.length === 1 ? 'y' : 'ies'}`,
      `languages ${s.languages.join(', ') || '(none)'}`,
    ];
    const role = s.roles
      .map((x) => (x === 'train' ? 'train' : x === 'eval' ? 'evaluated after every stage' : 'final test'))
      .join(', ');
    if (!s.roles.includes('train')) {
      const chance = chanceT2iR10(r);
      fields.push(
        chance === undefined
          ? 'chance R@10 (t2i) n/a: no caption with an image of its group'
          : `chance R@10 (t2i) ${chance.toFixed(3)}`,
      );
      if (chance === undefined) {
        warnings.push(
          `warning: ${s.split}: no caption has an image of its group there, so text→image and image→text are not measured on it${r.queries.length ? '' : ' (nor NLU: it has no queries)'}; evaluate on a split with images and captions`,
        );
      }
      if (chance !== undefined && chance > CHANCE_R10_WARN) {
        const fix =
          s.maxGroups !== undefined && s.maxGroups < s.splitGroups
            ? `raise data.maxGroups.${s.split} (${s.maxGroups}; the split has ${s.splitGroups} groups)`
            : `evaluate on a split with more groups than ${s.splitGroups}`;
        warnings.push(
          `warning: ${s.split}: a random ranking already scores R@10 ${chance.toFixed(3)} on text→image (${count(s.groups, 'group')}, ${count(r.images.length, 'image')}), above ${CHANCE_R10_WARN}: its R@10 cannot tell a model from chance; ${fix}`,
        );
      }
    }
    lines.push(`data: ${s.split} (${role}): ${fields.join(', ')}`);
  }
  return { lines, warnings };
}
