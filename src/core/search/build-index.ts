// `unir index`: every image and text chunk of a split, encoded by a run's trained encoders, into an index plugin.
import { experimentDataset } from '../data/experiment-dataset';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo, type BackendName } from '../backend';
import type { Dataset } from '../data/dataset';
import { loadImageTensorCache } from '../data/images';
import type { IndexItem, IndexMeta, VectorIndex } from '../index/vector-index';
import type { UnifiedModel } from '../model/unified';
import type { Registry } from '../registry';
import { runFile } from '../run';
import { indexDir, SEARCH_FORMAT, SEARCH_JSON, writeSearchManifest, type SearchManifest } from './index-files';
import { inspectRun, loadRunModel } from './load-run-model';

export interface BuildIndexOptions {
  runDir: string;
  registry: Registry;
  /** Plugin modules to import besides the ones the run's config.json records (--plugin). */
  plugins?: readonly string[];
  plugin: string; // index plugin id
  split: string;
  /** Rows encoded per forward pass (default 128). */
  batchSize?: number;
  backend?: BackendName;
  /** Progress and data-loading lines (default: none). */
  log?: (line: string) => void;
  /** Called after every batch. */
  progress?: (p: { phase: 'images' | 'texts'; done: number; total: number; itemsPerSec: number }) => void;
}

export interface BuildIndexResult {
  dir: string;
  meta: IndexMeta;
  manifest: SearchManifest;
  backend: BackendInfo;
  /** Encoding only (images decoded from the cache before), per modality. */
  images: { count: number; seconds: number };
  texts: { count: number; seconds: number };
  /** Building the index from the vectors (persist: clustering, tuning, writing) and the plugin's info(). */
  build: { seconds: number } & Record<string, string | number | boolean>;
}

/** Intents some query of the dataset (any split) retrieves for; the rest (group null everywhere) need no retrieval. */
export function retrievalIntents(dataset: Dataset): string[] {
  const yes = new Set(dataset.queries.filter((q) => q.group !== null).map((q) => q.intent));
  const seen = new Set(dataset.queries.map((q) => q.intent));
  return dataset.intents.filter((i) => yes.has(i) || !seen.has(i));
}

const FLUSH = 16384; // rows buffered before index.add: few, large appends (LanceDB makes a fragment per add)

/**
 * Encodes the split (images: all decodable ones; texts: role 'chunk' in the run's languages) with the run's
 * newest checkpoint, writes <runDir>/index/<plugin>-<split>/ (overwriting), then search.json last.
 */
export async function buildIndex(o: BuildIndexOptions): Promise<BuildIndexResult> {
  const log = o.log ?? (() => {});
  const info = await inspectRun(o.runDir, o.registry, o.plugins);
  const e = info.experiment;
  const backend = await initBackend({
    backend: o.backend ?? (process.env.UNIR_BACKEND as BackendName | undefined) ?? e.backend,
  });
  const dataset = await experimentDataset(e, o.registry, log, `${runFile(info.runDir, 'config')}: data`);
  const split = dataset.split(o.split);
  const langs = e.data.languages;
  const texts = split.texts.filter((t) => t.role === 'chunk' && (!langs || langs.includes(t.lang)));
  const model = await loadRunModel(info, {
    registry: o.registry,
    intents: dataset.intents,
    slotLabels: dataset.slotLabels,
  });
  const dir = indexDir(info.runDir, o.plugin, o.split);
  let index: VectorIndex | undefined;
  try {
    const imageSize = e.data.imageSize ?? model.parts.image.imageSize ?? 32;
    const cache = await loadImageTensorCache(dataset, o.split, imageSize, { skipBad: true, log });
    rmSync(join(dir, SEARCH_JSON), { force: true }); // the old index is incomplete from here on
    index = await o.registry.create(
      'index',
      o.plugin,
      {},
      { dir, dim: model.dim, runId: info.runId, model: info.fingerprint, overwrite: true },
      '--index',
    );
    const byId = new Map(split.images.map((im) => [im.id, im]));
    const per = imageSize * imageSize * 3;
    const images = await encodeAll(index, model.dim, 'images', cache.ids.length, o, (start, n) => ({
      items: cache.ids.slice(start, start + n).map((id): IndexItem => {
        const im = byId.get(id)!;
        return { id, modality: 'image', group: im.group, path: im.path };
      }),
      vectors: () =>
        model.encodeImage(
          tf.tensor4d(cache.data.subarray(start * per, (start + n) * per), [n, imageSize, imageSize, 3]),
          false,
        ),
    }));
    const textsDone = await encodeAll(index, model.dim, 'texts', texts.length, o, (start, n) => {
      const batch = texts.slice(start, start + n);
      return {
        items: batch.map(
          (t): IndexItem => ({ id: t.id, modality: 'text', group: t.group, lang: t.lang, text: t.text }),
        ),
        vectors: () =>
          model.encodeText(
            model.tokenizer.encode(
              batch.map((t) => t.text),
              batch.map((t) => t.lang),
            ),
            false,
          ),
      };
    });
    const t0 = performance.now();
    await index.persist();
    const build = { seconds: (performance.now() - t0) / 1000, ...index.info?.() };
    const manifest: SearchManifest = {
      format: SEARCH_FORMAT,
      plugin: o.plugin,
      split: o.split,
      runId: info.runId,
      model: info.fingerprint,
      checkpointStep: info.checkpoint.globalStep,
      dim: model.dim,
      dataset: { name: dataset.name, root: dataset.root, ...(dataset.version ? { version: dataset.version } : {}) },
      intents: [...dataset.intents],
      slotLabels: [...dataset.slotLabels],
      retrievalIntents: retrievalIntents(dataset),
      languages: [...new Set(texts.map((t) => t.lang))].sort(),
      imageSize,
      counts: { images: cache.ids.length, texts: texts.length, skippedImages: cache.skipped.length },
      builtAt: new Date().toISOString(),
      seconds: Math.round((images.seconds + textsDone.seconds) * 100) / 100,
    };
    writeSearchManifest(dir, manifest);
    return { dir, meta: index.meta, manifest, backend, images, texts: textsDone, build };
  } finally {
    await index?.dispose();
    model.dispose();
  }
}

type BatchOf = (start: number, n: number) => { items: IndexItem[]; vectors: () => tf.Tensor2D };

/** Encodes `total` rows in batches (each forward pass in a tidy), adding them to the index every FLUSH rows. */
async function encodeAll(
  index: VectorIndex,
  dim: number,
  phase: 'images' | 'texts',
  total: number,
  o: BuildIndexOptions,
  batchOf: BatchOf,
) {
  const bs = o.batchSize ?? 128;
  const t0 = performance.now();
  let items: IndexItem[] = [];
  let buf = new Float32Array(Math.min(total, FLUSH) * dim);
  const flush = async () => {
    if (items.length) await index.add(items, buf.subarray(0, items.length * dim));
    items = [];
  };
  for (let start = 0; start < total; start += bs) {
    const n = Math.min(bs, total - start);
    const b = batchOf(start, n);
    const v = tf.tidy(b.vectors); // (n, D)
    try {
      if ((items.length + n) * dim > buf.length) await flush();
      if ((items.length + n) * dim > buf.length) buf = new Float32Array((items.length + n) * dim);
      buf.set(v.dataSync() as Float32Array, items.length * dim);
    } finally {
      v.dispose();
    }
    items.push(...b.items);
    const sec = (performance.now() - t0) / 1000;
    o.progress?.({ phase, done: start + n, total, itemsPerSec: (start + n) / Math.max(sec, 1e-9) });
  }
  await flush();
  return { count: total, seconds: (performance.now() - t0) / 1000 };
}
