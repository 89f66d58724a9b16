import { resolve } from 'node:path';
import type { z } from 'zod';
import { UserError, didYouMean } from '../errors';
import { pluginDefiner, type Plugin } from '../registry/plugin';
import type { HeaderRecord, ImageRecord, ManifestRecord, QueryRecord, TextRecord } from './manifest-schema';

/** An image of a dataset: the manifest record plus `file`, its absolute path. */
export type DatasetImage = ImageRecord & { file: string };
/** A caption (short, pairs with images) or chunk (passage, text→text retrieval) in one language. */
export type DatasetText = TextRecord;
/** An NLU query; slots are UTF-16 char offsets into `text` (word offsets are normalised at load). */
export type DatasetQuery = QueryRecord;

/** Records of a dataset or of one split. Relevance = same `group` within the same split. */
export interface DatasetRecords {
  readonly images: readonly DatasetImage[];
  readonly texts: readonly DatasetText[];
  readonly queries: readonly DatasetQuery[];
}

export interface DatasetSplit extends DatasetRecords {
  readonly name: string; // the split: train, val, test, test-<name>
}

/**
 * A loaded dataset: every record validated, in manifest order. `languages`, `intents` and `slotLabels` come
 * from the manifest header when it declares them (closed lists), else from the records (sorted).
 */
export interface Dataset extends DatasetRecords {
  readonly name: string;
  readonly root: string; // absolute directory of the manifest (read only: caches go to datasetCacheDir, see cache-dir.ts)
  readonly manifestPath: string;
  readonly version?: string; // header.version
  readonly languages: readonly string[];
  readonly intents: readonly string[];
  readonly slotLabels: readonly string[];
  /** Skipped bad images (skipBadImages), one `file:line: path: problem` line each. */
  readonly warnings: readonly string[];
  /**
   * Whether an image found bad after loading (checkImages: false, or a file changed since) may be left out
   * with a warning; false: it fails the run, naming the manifest line (the manifest's skipBadImages).
   */
  readonly skipBadImages: boolean;
  /** Split names present, in the order train, val, test, test-* (sorted). */
  splits(): string[];
  /** The records of one split; an unknown name → UserError listing the known ones. */
  split(name: string): DatasetSplit;
}

export interface DatasetContext {
  /** Progress lines (building, skipped images). */
  log?: (line: string) => void;
}

/** A dataset plugin; `card` is its data card (default data-cards/<id>.md), enforced by a test. */
export type DatasetPlugin<S extends z.ZodType = z.ZodType> = Plugin<
  'dataset',
  S,
  DatasetContext | undefined,
  Promise<Dataset>
> & {
  readonly card?: string;
  /** Datasets made from sources (not a manifest someone hands you): writes the dataset into `outDir` (its default
   * folder when absent), skipping an up-to-date build unless `force`; `unir data build <id>` calls it. */
  readonly build?: (o: DatasetBuildOptions) => Promise<{ manifestPath: string; skipped?: boolean }>;
};

export interface DatasetBuildOptions {
  outDir?: string;
  force?: boolean;
  log?: (line: string) => void;
}

const define = pluginDefiner('dataset')<DatasetContext | undefined, Promise<Dataset>>();

/** Defines a dataset plugin: create(config, ctx) loads (and builds, if the plugin does that) a Dataset. */
export function defineDataset<const Id extends string, S extends z.ZodType>(
  p: Omit<DatasetPlugin<S>, 'kind' | 'id'> & { id: Id },
): DatasetPlugin<S> & { readonly id: Id } {
  const { card, build, ...rest } = p;
  return Object.freeze({
    ...define(rest),
    ...(card ? { card } : {}),
    ...(build ? { build } : {}),
  }) as DatasetPlugin<S> & {
    readonly id: Id;
  };
}

/** The data card of a dataset plugin, relative to the repository root. */
export function datasetCard(p: { id: string; card?: string }): string {
  return p.card ?? `data-cards/${p.id}.md`;
}

function splitOrder(a: string, b: string): number {
  const rank = (s: string) => (s === 'train' ? 0 : s === 'val' ? 1 : s === 'test' ? 2 : 3);
  return rank(a) - rank(b) || a.localeCompare(b);
}

const sortedUnique = (xs: Iterable<string>) => [...new Set(xs)].sort();

export interface CreateDatasetInit {
  name: string;
  root: string;
  manifestPath: string;
  header?: HeaderRecord;
  records: readonly (ManifestRecord | DatasetImage)[];
  warnings?: readonly string[];
  /** Default false. */
  skipBadImages?: boolean;
}

/** Builds a Dataset from validated records (the manifest loader uses it; tests and synthetic data may too). */
export function createDataset(init: CreateDatasetInit): Dataset {
  const images = init.records
    .filter((r): r is ImageRecord | DatasetImage => r.type === 'image')
    .map((r): DatasetImage => ('file' in r ? r : { ...r, file: resolve(init.root, r.path) }));
  const texts = init.records.filter((r): r is DatasetText => r.type === 'text');
  const queries = init.records.filter((r): r is DatasetQuery => r.type === 'query');
  const h = init.header;
  const splitNames = sortedUnique([...images, ...texts, ...queries].map((r) => r.split)).sort(splitOrder);
  const bySplit = new Map<string, DatasetSplit>();
  const ds: Dataset = {
    name: init.name,
    root: init.root,
    manifestPath: init.manifestPath,
    version: h?.version,
    languages: h?.languages ?? sortedUnique([...texts, ...queries].map((r) => r.lang)),
    intents: h?.intents ?? sortedUnique(queries.map((q) => q.intent)),
    slotLabels: h?.slotLabels ?? sortedUnique(queries.flatMap((q) => q.slots.map((s) => s.label))),
    warnings: init.warnings ?? [],
    skipBadImages: init.skipBadImages ?? false,
    images,
    texts,
    queries,
    splits: () => [...splitNames],
    split(name) {
      if (!splitNames.includes(name)) {
        const hint = didYouMean(name, splitNames);
        throw new UserError(
          `split '${name}' is not in dataset '${init.name}' (${init.manifestPath}).${hint ? ` Did you mean '${hint}'?` : ''} Known: ${splitNames.join(', ') || '(none)'}`,
        );
      }
      let s = bySplit.get(name);
      if (!s) {
        s = Object.freeze({
          name,
          images: images.filter((r) => r.split === name),
          texts: texts.filter((r) => r.split === name),
          queries: queries.filter((r) => r.split === name),
        });
        bySplit.set(name, s);
      }
      return s;
    },
  };
  return Object.freeze(ds);
}
