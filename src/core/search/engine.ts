// `unir search`: a run's model + one of its indexes, opened once, answering queries (shape: docs/search-json.md).
import { isAbsolute, join } from 'node:path';
import { initBackend, type BackendName } from '../backend';
import { UserError } from '../errors';
import type { SearchFilter, SearchHit, VectorIndex } from '../index/vector-index';
import type { UnifiedModel } from '../model/unified';
import type { Registry } from '../registry';
import { locateIndex, type SearchManifest } from './index-files';
import { resolveQueryLanguage, type DetectedLanguage } from './language';
import { inspectRun, loadRunModel, type RunInfo } from './load-run-model';
import { analyzeQuery, type SlotSpan } from './query';

import { MODALITY_CHOICES, modalityForIntent, type Modality, type ModalityChoice } from './modality';

export { MODALITY_CHOICES, modalityForIntent, type Modality, type ModalityChoice };

export interface SearchOptions {
  k?: number; // default 10
  /** 'auto' (default) or a language code: the tokenizer hint, and the text filter with sameLang. */
  lang?: string;
  /** Default 'auto': the modality the predicted intent names (find_image → image, find_document → text, else all). */
  modality?: ModalityChoice;
  /** Text results only in the query's language (images are unaffected). */
  sameLang?: boolean;
}

export type SearchResult =
  | { rank: number; score: number; modality: 'image'; id: string; group: string; path: string; file: string }
  | { rank: number; score: number; modality: 'text'; id: string; group: string; lang: string; text: string };

/** The `--json` output of `unir search`; documented in docs/search-json.md. */
export interface SearchResponse {
  query: string;
  lang: string;
  langRule: DetectedLanguage['rule'];
  intent: string;
  intentConfidence: number;
  slots: SlotSpan[];
  semanticText: string;
  semanticSource: 'slot' | 'query';
  retrieval: boolean;
  message?: string; // only when retrieval is false
  k: number;
  /** modality: the table(s) searched; modalityFrom: 'intent' when --modality auto chose it from the intent. */
  filter: { modality: Modality; modalityFrom: 'flag' | 'intent'; lang: string | null };
  index: { plugin: string; split: string; count: number; runId: string; model: string; checkpointStep: number };
  results: SearchResult[];
  timingsMs: { open?: number; query: number; search: number }; // open: only in the CLI's output
}

export interface OpenSearchOptions {
  registry: Registry;
  /** Plugin modules to import besides the ones the run's config.json records (--plugin). */
  plugins?: readonly string[];
  split?: string; // default 'test'
  /** Index plugin id; default: the only one built for the split (exact if several). */
  plugin?: string;
  backend?: BackendName;
}

export interface SearchEngine {
  readonly run: RunInfo;
  readonly manifest: SearchManifest;
  readonly plugin: string;
  /** Milliseconds from open to ready (backend, model, checkpoint, index). */
  readonly openMs: number;
  search(query: string, opts?: SearchOptions): Promise<SearchResponse>;
  dispose(): Promise<void>;
}

/** Opens run + index; an index from another run, model or dimension is the index plugin's one-line error. */
export async function openSearchEngine(runDir: string, o: OpenSearchOptions): Promise<SearchEngine> {
  const t0 = performance.now();
  const run = await inspectRun(runDir, o.registry, o.plugins);
  const split = o.split ?? 'test';
  if (o.plugin) o.registry.get('index', o.plugin, '--index');
  const { plugin, dir, manifest } = locateIndex(runDir, split, o.plugin);
  await initBackend({
    backend: o.backend ?? (process.env.UNIR_BACKEND as BackendName | undefined) ?? run.experiment.backend,
    quiet: true,
  });
  const dim = (run.experiment.model as { dim: number }).dim;
  const index = await o.registry.create(
    'index',
    plugin,
    {},
    { dir, dim, runId: run.runId, model: run.fingerprint },
    '--index',
  );
  let model: UnifiedModel;
  try {
    model = await loadRunModel(run, {
      registry: o.registry,
      intents: manifest.intents,
      slotLabels: manifest.slotLabels,
    });
  } catch (e) {
    await index.dispose();
    throw e;
  }
  const root = isAbsolute(manifest.dataset.root) ? manifest.dataset.root : join(run.runDir, manifest.dataset.root);
  const toResult = (h: SearchHit, i: number): SearchResult =>
    h.item.modality === 'image'
      ? {
          rank: i + 1,
          score: h.score,
          modality: 'image',
          id: h.item.id,
          group: h.item.group,
          path: h.item.path ?? '',
          file: join(root, h.item.path ?? ''),
        }
      : {
          rank: i + 1,
          score: h.score,
          modality: 'text',
          id: h.item.id,
          group: h.item.group,
          lang: h.item.lang ?? '',
          text: h.item.text ?? '',
        };

  return {
    run,
    manifest,
    plugin,
    openMs: performance.now() - t0,
    async search(raw, so = {}) {
      const query = raw.trim();
      if (!query)
        throw new UserError(
          `search: the query is empty; give the words to search for, e.g. unir search ${runDir} "a dog face"`,
        );
      const k = so.k ?? 10;
      if (!Number.isInteger(k) || k < 1) throw new UserError(`search: --k ${k}: expected a positive integer`);
      const choice = so.modality ?? 'auto';
      if (!MODALITY_CHOICES.includes(choice))
        throw new UserError(`search: --modality '${choice}': use one of ${MODALITY_CHOICES.join(', ')}`);
      const detected = resolveQueryLanguage(so.lang ?? 'auto', query);
      const q0 = performance.now();
      const a = analyzeQuery(model, query, detected.lang, manifest);
      const q1 = performance.now();
      const retrieval = manifest.retrievalIntents.includes(a.intent);
      const modality = choice === 'auto' ? modalityForIntent(a.intent) : choice;
      const filterLang = so.sameLang ? detected.lang : null;
      let hits: SearchHit[] = [];
      if (retrieval) {
        const imageF: SearchFilter = { modality: 'image' };
        const textF: SearchFilter = filterLang ? { modality: 'text', lang: filterLang } : { modality: 'text' };
        if (modality === 'image') hits = await index.search(a.embedding, k, imageF);
        else if (modality === 'text') hits = await index.search(a.embedding, k, textF);
        else if (!filterLang) hits = await index.search(a.embedding, k);
        else {
          const both = [
            ...(await index.search(a.embedding, k, imageF)),
            ...(await index.search(a.embedding, k, textF)),
          ];
          hits = both.sort((x, y) => y.score - x.score).slice(0, k);
        }
      }
      const q2 = performance.now();
      return {
        query,
        lang: detected.lang,
        langRule: detected.rule,
        intent: a.intent,
        intentConfidence: a.intentConfidence,
        slots: a.slots,
        semanticText: a.semanticText,
        semanticSource: a.semanticSource,
        retrieval,
        ...(retrieval
          ? {}
          : {
              message: `intent '${a.intent}' needs no retrieval (no '${manifest.dataset.name}' query with it targets an image or text); nothing was searched`,
            }),
        k,
        filter: { modality, modalityFrom: choice === 'auto' ? 'intent' : 'flag', lang: filterLang },
        index: {
          plugin,
          split,
          count: index.meta.count,
          runId: manifest.runId,
          model: manifest.model,
          checkpointStep: manifest.checkpointStep,
        },
        results: hits.map(toResult),
        timingsMs: { query: round(q1 - q0), search: round(q2 - q1) },
      };
    },
    async dispose() {
      model.dispose();
      await index.dispose();
    },
  };
}

const round = (ms: number) => Math.round(ms * 100) / 100;
