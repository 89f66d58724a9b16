import { resolve } from 'node:path';
import type { Figure } from '../core/report/figures';
import { buildIndex } from '../core/search/build-index';
import { openSearchEngine, type SearchEngine, type SearchOptions, type SearchResponse } from '../core/search/engine';
import { builtIndexes } from '../core/search/index-files';
import { umapFigures } from '../core/umap/page';
import type { Alignment } from '../core/umap/quality';
import { buildRunMap, type RunMap } from '../core/umap/run-map';
import { registry } from '../plugins';
import { notebookLog } from './show';

export interface NotebookSearchOptions extends SearchOptions {
  split?: string; // default 'test'
  /** Index plugin; built on first use when the run has none for the split (default 'exact'). */
  index?: string;
}

const engines = new Map<string, SearchEngine>();

/**
 * `unir search` in a cell: the query's language, intent, slots and top hits from the run's index of the
 * split (built with the exact index on first use). The engine stays open for the next query of the run.
 */
export async function search(runDir: string, query: string, o: NotebookSearchOptions = {}): Promise<SearchResponse> {
  const dir = resolve(runDir);
  const split = o.split ?? 'test';
  const key = `${dir}|${split}|${o.index ?? ''}`;
  let engine = engines.get(key);
  if (!engine) {
    const reg = registry();
    if (!builtIndexes(dir, split).length) {
      console.log(`building the ${o.index ?? 'exact'} index of ${dir} (${split}) ...`);
      await buildIndex({ runDir: dir, registry: reg, plugin: o.index ?? 'exact', split });
    }
    engine = await openSearchEngine(dir, { registry: reg, split, plugin: o.index });
    engines.set(key, engine);
  }
  const { split: _s, index: _i, ...so } = o;
  return engine.search(query, so);
}

export interface UmapView {
  figure: Figure;
  trustworthiness: number;
  alignment: Alignment;
  points: number;
  map: RunMap;
}

const maps = new Map<string, RunMap>();

/**
 * UMAP of a run's split (images + texts in every language of the run): the 2-D or 3-D figure coloured by
 * language or modality (every point shown; the figure's buttons switch the colouring), the trustworthiness
 * (k = 10) of the 2-D map and the cross-lingual alignment.
 */
export async function umap(
  runDir: string,
  o: { split?: string; dims?: 2 | 3; colourBy?: 'language' | 'modality' } = {},
): Promise<UmapView> {
  const dir = resolve(runDir);
  const split = o.split ?? 'test';
  const key = `${dir}|${split}`;
  let map = maps.get(key);
  if (!map) {
    map = await buildRunMap(dir, { registry: registry(), split, log: notebookLog });
    maps.set(key, map);
  }
  const figure = umapFigures(map, { colourBy: o.colourBy ?? 'language' })[(o.dims ?? 2) === 2 ? 0 : 1]!;
  return { figure, trustworthiness: map.trustworthiness, alignment: map.alignment, points: map.points.length, map };
}
