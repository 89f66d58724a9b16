// Types of the notebook API as tslab cells see them (code: api.ts). Self-contained on purpose: tslab
// type-checks everything a cell imports with its own compiler options, so pointing it at api.ts would
// check the whole of src/ in every cell. Keep in step with api.ts (test/notebooks checks the names).
import * as tfcore from '@tensorflow/tfjs-core';
import { z as zod } from 'zod';

export * as tf from '@tensorflow/tfjs-core';
export { z } from 'zod';
export type Profile = 'ci' | 'full';
export declare function profile(): Profile;
export declare function byProfile<T>(v: { ci: T; full: T }): T;

export interface Figure {
  id: string;
  title?: string;
  data: unknown[];
  layout: Record<string, unknown>;
}
export interface Table {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}
type Scores = Record<string, number>;
export interface Metrics {
  retrieval?: Record<string, { mean?: Scores; [lang: string]: Scores | undefined } | undefined>;
  nlu?: Record<string, { mean?: number; [lang: string]: number | undefined } | undefined>;
  [k: string]: unknown;
}
export interface MetricsFile {
  runId: string;
  experiment: string;
  backend: string;
  seed: number;
  stages: { name: string; metrics: Metrics }[];
  final: Metrics;
}
export interface HistoryRow {
  stage: string;
  step: number;
  globalStep: number;
  lr: number;
  losses: Record<string, number>;
  [k: string]: unknown;
}
export interface RunRecord {
  dir: string;
  runId: string;
  metrics: MetricsFile;
  config: Record<string, unknown>;
  run: Record<string, unknown>;
  history: HistoryRow[];
}

export interface RunExperimentOptions {
  set?: Record<string, unknown>;
  seed?: number;
  runId?: string;
  out?: string;
  force?: boolean;
  /** Plugin modules to import first (as `unir run --plugin`); recorded, so other processes can reopen the run. */
  plugins?: string[];
}
export interface ExperimentRun {
  runId: string;
  runDir: string;
  reused: boolean;
  metrics: MetricsFile;
}
export declare function runExperiment(nameOrPath: string, o?: RunExperimentOptions): Promise<ExperimentRun>;
export declare function loadRun(runDir: string): RunRecord;
export declare function compareRuns(runDirs: readonly string[]): { figures: Figure[]; tables: Table[] };

export interface SweepSpecInput {
  id: string;
  question?: string;
  base: string;
  method?: 'grid' | 'random';
  params: Record<string, unknown[] | { min: number; max: number; log?: boolean; int?: boolean }>;
  trials?: number;
  searchSeed?: number;
  seeds?: number[];
  fixed?: Record<string, unknown>;
}
export interface SweepOutcome {
  figures: Figure[];
  points: unknown[];
  table: Table;
  outcomes: { trial: { runId: string }; status: string }[];
  html: string;
}
export interface SweepOptions {
  /** local (default): trials as processes here, `parallel` at a time; slurm: one sbatch job array, returns when
   * no trial is queued (like `unir sweep --executor slurm --wait`). */
  executor?: 'local' | 'slurm';
  parallel?: number;
  runsDir?: string;
  /** slurm: the run store cluster tasks record finished trials in (default <runsDir>/unir.duckdb). */
  db?: string;
  /** slurm: sbatch options; `parallel` is the array's %N. */
  slurm?: { partition?: string; time?: string; gres?: string; cpusPerTask?: number; mem?: string; args?: string[] };
  /** Plugin modules every trial imports: plugins registered in a cell stay in this kernel, trials cannot see them. */
  plugins?: string[];
}
export declare function sweep(fileOrSpec: string | SweepSpecInput, o?: SweepOptions): Promise<SweepOutcome>;

export interface SlotSpan {
  label: string;
  text: string;
  start: number;
  end: number;
}
export type SearchResult =
  | { rank: number; score: number; modality: 'image'; id: string; group: string; path: string; file: string }
  | { rank: number; score: number; modality: 'text'; id: string; group: string; lang: string; text: string };
export interface SearchResponse {
  query: string;
  lang: string;
  intent: string;
  intentConfidence: number;
  slots: SlotSpan[];
  semanticText: string;
  retrieval: boolean;
  message?: string;
  k: number;
  results: SearchResult[];
  [k: string]: unknown;
}
export interface NotebookSearchOptions {
  k?: number;
  lang?: string;
  modality?: 'auto' | 'image' | 'text' | 'all';
  sameLang?: boolean;
  split?: string;
  index?: string;
}
export declare function search(runDir: string, query: string, o?: NotebookSearchOptions): Promise<SearchResponse>;

export interface Alignment {
  translations: number;
  random: number;
  score: number;
  pairs: number;
}
export interface UmapView {
  figure: Figure;
  trustworthiness: number;
  alignment: Alignment;
  points: number;
  map: unknown;
}
export declare function umap(
  runDir: string,
  o?: { split?: string; dims?: 2 | 3; colourBy?: 'language' | 'modality' },
): Promise<UmapView>;

export declare function show(x: unknown): void;

/**
 * Plugin definitions made in cells, one per plugin kind; each returns the plugin to hand to registerPlugin. The
 * contracts (what create(config, ctx) returns) are in src/core: loss/loss.ts, model/fusion.ts, model/encoder.ts,
 * text/tokenizer.ts, config/curriculum.ts, data/dataset.ts, eval/metric.ts, eval/baseline.ts, index/vector-index.ts,
 * train/observer.ts, augment/augmentation.ts; docs/adding-a-plugin.md walks through them.
 */
export interface PluginDef {
  id: string;
  summary: string;
  configSchema: zod.ZodType;
  citation?: string;
  create(config: any, ctx: any): any;
  [k: string]: unknown;
}
export declare function defineLoss(
  p: PluginDef & { needs: readonly string[]; mainTerm: string },
): PluginDef & { kind: 'loss' };
export declare function defineFusion(p: PluginDef): PluginDef & { kind: 'fusion' };
export declare function defineEncoder(
  p: PluginDef & { modality: 'text' | 'image' | 'nlu' },
): PluginDef & { kind: 'encoder' };
export declare function defineTokenizer(p: PluginDef): PluginDef & { kind: 'tokenizer' };
export declare function defineCurriculum(p: PluginDef): PluginDef & { kind: 'curriculum' };
export declare function defineDataset(p: PluginDef & { card?: string }): PluginDef & { kind: 'dataset' };
export declare function defineMetric(
  p: PluginDef & {
    primaryKey: string;
    greaterIsBetter: boolean;
    headlines?: readonly { label: string; key: string }[];
  },
): PluginDef & { kind: 'metric' };
export declare function defineBaseline(p: PluginDef): PluginDef & { kind: 'baseline' };
export declare function defineIndex(p: PluginDef): PluginDef & { kind: 'index' };
export declare function defineObserver(p: PluginDef): PluginDef & { kind: 'observer' };
export declare function defineAugmentation(p: PluginDef): PluginDef & { kind: 'augmentation' };
/** Registers the plugin and returns one line saying so. */
export declare function registerPlugin(plugin: { kind: string; id: string; summary?: string }): string;
export declare function takeFeatures(
  f: unknown,
  needs: readonly string[],
  where: string,
): Record<string, tfcore.Tensor>;
export declare function stopGradient<T extends tfcore.Tensor>(x: T): T;
export declare function l2Normalize<T extends tfcore.Tensor>(x: T): T;
export declare class ParamScope {
  static root(name: string, seed: number): ParamScope;
  child(name: string): ParamScope;
  dispose(): void;
}
export declare class Dense {
  constructor(scope: ParamScope, inDim: number, outDim: number);
  apply(x: tfcore.Tensor): tfcore.Tensor;
  variables(): tfcore.Variable[];
  flops(batch: number): number;
}
