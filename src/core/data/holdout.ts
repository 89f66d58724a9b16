import { UserError } from '../errors';
import { hash32, mulberry32 } from '../rng';
import { createDataset, type Dataset, type DatasetImage } from './dataset';
import type { ManifestRecord } from './manifest-schema';
import type { Holdout } from '../config/holdout';

export { HoldoutSchema, type Holdout } from '../config/holdout';

/** `within`: the train groups a run trains on (data.maxGroups.train), when it uses a subset: the slice is drawn from them. */
export function withDesignHoldout(
  ds: Dataset,
  h: Holdout,
  where = 'data.holdout',
  within?: ReadonlySet<string>,
): Dataset {
  if (ds.splits().includes(h.split))
    throw new UserError(`${where}.split: dataset '${ds.name}' already has a split '${h.split}'; choose another name`);
  const train = ds.split('train');
  const families = [...new Set(train.images.map((im) => im.family).filter((f): f is string => f !== undefined))].sort();
  if (families.length < 2) {
    throw new UserError(
      `${where}: the train split of '${ds.name}' has images of ${families.length ? `one family (${families[0]})` : 'no family'}; a design holdout needs two or more (drop data.holdout)`,
    );
  }
  const family = h.family === 'auto' ? families.at(-1)! : h.family;
  if (!families.includes(family))
    throw new UserError(`${where}.family: '${family}' is not a train family of '${ds.name}' (${families.join(', ')})`);
  const famOf = new Map<string, Set<string>>();
  for (const im of train.images)
    if (im.family) (famOf.get(im.group) ?? famOf.set(im.group, new Set()).get(im.group)!).add(im.family);
  const eligible = [...famOf]
    .filter(([g, f]) => f.size >= 2 && f.has(family) && (!within || within.has(g)))
    .map(([g]) => g);
  const rank = (g: string) => hash32(`${h.seed}/holdout/${g}`);
  const slice = new Set(eligible.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1)).slice(0, h.groups));
  if (slice.size === 0)
    throw new UserError(
      `${where}: no train group of '${ds.name}' has a '${family}' image and another family's; choose another family`,
    );
  const copy = <T extends { id: string; split: string; group: string | null }>(r: T): T => ({
    ...r,
    id: `${r.id}@${h.split}`,
    split: h.split,
  });
  const inSlice = (r: { split: string; group: string | null }) =>
    r.split === 'train' && r.group !== null && slice.has(r.group);
  const records: (ManifestRecord | DatasetImage)[] = [];
  for (const im of ds.images) records.push(inSlice(im) && im.family === family ? { ...im, split: h.split } : im);
  for (const t of ds.texts) records.push(t, ...(inSlice(t) ? [copy(t)] : []));
  // group-less queries (no retrieval: reminders, music) join in the slice's proportion, so NLU sees every intent
  const share = slice.size / famOf.size;
  // FNV-1a's high bits barely move when only the last characters of the id change: mix them before thresholding
  const nullPick = (q: { id: string; split: string; group: string | null }) =>
    q.split === 'train' && q.group === null && mulberry32(hash32(`${h.seed}/holdout/${q.id}`))() < share;
  for (const q of ds.queries) records.push(q, ...(inSlice(q) || nullPick(q) ? [copy(q)] : []));
  return createDataset({
    name: ds.name,
    root: ds.root,
    manifestPath: ds.manifestPath,
    records,
    warnings: ds.warnings,
    skipBadImages: ds.skipBadImages,
    header: {
      type: 'header',
      name: ds.name,
      version: ds.version,
      languages: [...ds.languages],
      intents: [...ds.intents],
      slotLabels: [...ds.slotLabels],
    },
  });
}
