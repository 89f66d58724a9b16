// Where a run's search indexes live, and search.json: what `unir search` needs besides the vectors.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { RUN_FILES } from '../run/layout';

export const INDEX_DIR = RUN_FILES.index;
export const SEARCH_JSON = 'search.json';
export const SEARCH_FORMAT = 'unir-search-index/1';

/** <runDir>/index/<plugin>-<split>/ */
export const indexDir = (runDir: string, plugin: string, split: string) =>
  join(runDir, INDEX_DIR, `${plugin}-${split}`);

/**
 * search.json, written last by `unir index` (its presence marks a complete index): the labels the NLU heads
 * decode to, which intents retrieve, where the images are, and what was indexed with which model.
 */
export interface SearchManifest {
  format: typeof SEARCH_FORMAT;
  plugin: string;
  split: string;
  runId: string;
  model: string; // fingerprint (src/core/search/load-run-model.ts)
  checkpointStep: number;
  dim: number;
  dataset: { name: string; root: string; version?: string };
  intents: string[];
  slotLabels: string[];
  /** Intents with at least one query that targets a group in the dataset; the others need no retrieval. */
  retrievalIntents: string[];
  languages: string[]; // of the indexed texts
  imageSize: number;
  counts: { images: number; texts: number; skippedImages: number };
  builtAt: string;
  seconds: number;
}

export function writeSearchManifest(dir: string, m: SearchManifest): void {
  writeFileAtomic(join(dir, SEARCH_JSON), `${JSON.stringify(m, null, 2)}\n`);
}

/** The complete indexes of a split in a run, as plugin ids (sorted). */
export function builtIndexes(runDir: string, split: string): string[] {
  const root = join(runDir, INDEX_DIR);
  if (!existsSync(root)) return [];
  const suffix = `-${split}`;
  return readdirSync(root)
    .filter((d) => d.endsWith(suffix) && existsSync(join(root, d, SEARCH_JSON)))
    .map((d) => d.slice(0, -suffix.length))
    .sort();
}

/**
 * The index `unir search` opens: `plugin`, or when undefined the only one built for the split (exact if
 * several). Missing → one line telling the user to run `unir index`.
 */
export function locateIndex(
  runDir: string,
  split: string,
  plugin?: string,
): { plugin: string; dir: string; manifest: SearchManifest } {
  const built = builtIndexes(runDir, split);
  const chosen = plugin ?? (built.includes('exact') ? 'exact' : built[0]);
  if (!chosen || !built.includes(chosen)) {
    const other = built.length ? ` (built for split '${split}': ${built.join(', ')}; pass --index ${built[0]})` : '';
    const flags = `${chosen && chosen !== 'exact' ? ` --index ${chosen}` : ''}${split !== 'test' ? ` --split ${split}` : ''}`;
    throw new UserError(
      `${runDir}: no ${chosen ?? ''}${chosen ? ' ' : ''}index of split '${split}' in ${INDEX_DIR}/; build it with 'unir index ${runDir}${flags}'${other}`,
    );
  }
  const dir = indexDir(runDir, chosen, split);
  const path = join(dir, SEARCH_JSON);
  let manifest: SearchManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as SearchManifest;
  } catch (e) {
    throw new UserError(
      `${path}: unreadable (${(e as Error).message.split('\n')[0]}); rebuild it with 'unir index ${runDir} --index ${chosen} --split ${split}'`,
    );
  }
  if (manifest.format !== SEARCH_FORMAT) {
    throw new UserError(
      `${path}: format ${JSON.stringify(manifest.format)}, expected '${SEARCH_FORMAT}'; rebuild it with 'unir index ${runDir} --index ${chosen} --split ${split}'`,
    );
  }
  return { plugin: chosen, dir, manifest };
}
