// A run's test split as a UMAP page: embeddings (exported, or encoded now from the newest checkpoint),
// 2-D and 3-D projections, trustworthiness and cross-lingual alignment, thumbnails and texts for hover.
import { experimentDataset } from '../data/experiment-dataset';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { initBackend, type BackendName } from '../backend';
import { loadImageTensorCache } from '../data/images';
import { UserError } from '../errors';
import { readEmbeddings, type EmbeddingSet } from '../eval/embeddings';
import { evaluateSplit } from '../eval/evaluate';
import { modelEncoder } from '../eval/model-encoder';
import type { Registry } from '../registry';
import { inspectRun, loadRunModel } from '../search/load-run-model';
import { subsetRecords } from '../data/subset';
import { runFile } from '../run';
import type { MapPoint, UmapPageInput } from './page';
import { umapProject, type UmapOptions } from './project';
import { alignmentScore, trustworthiness, type Points } from './quality';

export interface RunMapOptions {
  registry: Registry;
  split?: string; // default 'test'
  backend?: BackendName;
  /** Thumbnail edge in pixels (default 48); 0 = none. */
  thumb?: number;
  seed?: number;
  approxAbove?: number;
  log?: (line: string) => void;
  onProgress?: UmapOptions['onProgress'];
}

export interface RunMap extends UmapPageInput {
  split: string;
  /** High-dimensional (N, D) vectors of the points, in `points` order. */
  vectors: Points;
}

async function openDataset(runDir: string, registry: Registry, log: (l: string) => void) {
  const info = await inspectRun(runDir, registry);
  const dataset = await experimentDataset(info.experiment, registry, log, `${runFile(info.runDir, 'config')}: data`);
  return { info, dataset };
}

/**
 * runDir/embeddings/<split>.{f32,json} if the run exported them, else encodes the split (the run's
 * languages, maxGroups of the split) with the newest checkpoint and exports them first.
 */
export async function ensureEmbeddings(runDir: string, o: RunMapOptions): Promise<EmbeddingSet & { dim: number }> {
  const split = o.split ?? 'test';
  const log = o.log ?? (() => {});
  if (existsSync(join(runFile(runDir, 'embeddings'), `${split}.json`))) return readEmbeddings(runDir, split);
  const { info, dataset } = await openDataset(runDir, o.registry, log);
  const e = info.experiment;
  await initBackend({
    backend: o.backend ?? (process.env.UNIR_BACKEND as BackendName | undefined) ?? e.backend,
    quiet: true,
  });
  const model = await loadRunModel(info, {
    registry: o.registry,
    intents: dataset.intents,
    slotLabels: dataset.slotLabels,
  });
  try {
    const size = e.data.imageSize ?? model.parts.image.imageSize ?? 32;
    const cache = await loadImageTensorCache(dataset, split, size, { skipBad: true, log });
    const have = new Set(cache.ids);
    const maxGroups = (e.data.maxGroups as Record<string, number | undefined>)[split];
    const records = subsetRecords(dataset.split(split), { maxGroups, languages: e.data.languages, seed: e.seed });
    log(
      `umap: encoding ${records.images.length} images and ${records.texts.length} texts of '${split}' with ${info.checkpoint.dir}`,
    );
    await evaluateSplit(
      modelEncoder(model, model.tokenizer, cache),
      { ...records, images: records.images.filter((im) => have.has(im.id)) },
      {
        split,
        metrics: [],
        nluContribution: false,
        exportTo: info.runDir,
      },
    );
  } finally {
    model.dispose();
  }
  return readEmbeddings(runDir, split);
}

async function thumbnail(file: string, edge: number): Promise<string | undefined> {
  try {
    const png = await sharp(file)
      .resize(edge, edge, { fit: 'contain', background: { r: 255, g: 255, b: 255, alpha: 0 } })
      .png()
      .toBuffer();
    return `data:image/png;base64,${png.toString('base64')}`;
  } catch {
    return undefined;
  }
}

/** Everything renderUmapHtml needs for a run's split: images + texts (not queries), both maps, both numbers. */
export async function buildRunMap(runDir: string, o: RunMapOptions): Promise<RunMap> {
  const split = o.split ?? 'test';
  const log = o.log ?? (() => {});
  const set = await ensureEmbeddings(runDir, o);
  const { info, dataset } = await openDataset(runDir, o.registry, log);
  const rows = set.ids.map((_, i) => i).filter((i) => set.kind[i] === 'image' || set.kind[i] === 'text');
  if (rows.length < 24)
    throw new UserError(
      `${runDir}: the '${split}' split has ${rows.length} images and texts; a map needs at least 24 (raise data.maxGroups.${split})`,
    );
  const texts = new Map(dataset.texts.map((t) => [t.id, t.text]));
  const files = new Map(dataset.images.map((im) => [im.id, im.file]));
  const edge = o.thumb ?? 48;
  const points: MapPoint[] = [];
  for (const i of rows) {
    const id = set.ids[i]!;
    const group = set.group[i] ?? id;
    if (set.kind[i] === 'image') {
      const file = files.get(id);
      points.push({
        id,
        modality: 'image',
        group,
        label: id,
        thumb: edge > 0 && file ? await thumbnail(file, edge) : undefined,
      });
    } else points.push({ id, modality: 'text', lang: set.lang[i] ?? undefined, group, label: texts.get(id) ?? id });
  }
  const dim = set.dim;
  const data = new Float32Array(rows.length * dim);
  rows.forEach((r, k) => data.set(set.vectors.subarray(r * dim, (r + 1) * dim), k * dim));
  const high: Points = { n: rows.length, dim, data };
  const seed = o.seed ?? info.experiment.seed;
  const opts = { seed, approxAbove: o.approxAbove, onProgress: o.onProgress };
  const low2 = await umapProject(high, { ...opts, nComponents: 2 });
  const low3 = await umapProject(high, { ...opts, nComponents: 3 });
  const textIdx = points.map((p, k) => (p.modality === 'text' ? k : -1)).filter((k) => k >= 0);
  const textData = new Float32Array(textIdx.length * dim);
  textIdx.forEach((k, j) => textData.set(data.subarray(k * dim, (k + 1) * dim), j * dim));
  const alignment = alignmentScore(
    { n: textIdx.length, dim, data: textData },
    textIdx.map((k) => points[k]!.lang ?? '?'),
    textIdx.map((k) => points[k]!.group),
    seed,
  );
  return {
    title: `${info.runId}: ${split} split`,
    split,
    points,
    vectors: high,
    coords2: low2.data as Float32Array,
    coords3: low3.data as Float32Array,
    trustworthiness: trustworthiness(high, low2, Math.min(10, Math.floor((rows.length - 1) / 2))),
    alignment,
  };
}
