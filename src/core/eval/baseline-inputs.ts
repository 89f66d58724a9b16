import type { DatasetRecords, Dataset } from '../data/dataset';
import { loadImageTensorCache } from '../data/images';
import type { BaselineImages, BaselineInputs } from './baseline';

/** Rows of a decoded split cache whose ids are in `keep` (in `keep`'s order). */
async function pick(
  dataset: Dataset,
  split: string,
  size: number,
  keep: readonly { id: string; group: string }[],
  log?: (l: string) => void,
): Promise<BaselineImages> {
  const cache = await loadImageTensorCache(dataset, split, size, { skipBad: true, log });
  const row = new Map(cache.ids.map((id, i) => [id, i]));
  const rows = keep.filter((im) => row.has(im.id));
  const per = size * size * 3;
  const data = new Float32Array(rows.length * per);
  rows.forEach((im, k) => data.set(cache.data.subarray(row.get(im.id)! * per, (row.get(im.id)! + 1) * per), k * per));
  return { ids: rows.map((r) => r.id), groups: rows.map((r) => r.group), size, data };
}

/** A baseline's view of one evaluated split: `records` the split's (subset) records, `train` the training records. */
export function baselineInputs(
  dataset: Dataset,
  split: string,
  records: DatasetRecords,
  train: DatasetRecords,
  log?: (l: string) => void,
): BaselineInputs {
  return {
    split,
    images: records.images,
    trainImages: (size) => pick(dataset, 'train', size, train.images, log),
    splitImages: (size) => pick(dataset, split, size, records.images, log),
    captions: records.texts.filter((t) => t.role === 'caption'),
    chunks: records.texts.filter((t) => t.role === 'chunk'),
    queries: records.queries,
  };
}
