import { basename, dirname, join, resolve } from 'node:path';
import type { EncodedBatch } from '../text/tokenizer';
import { loadLatestCheckpoint } from '../checkpoint/checkpoint';
import type { Experiment, ResolvedExperiment } from '../config/experiment';
import { PAIR_TYPES, type PairType } from '../config/stage';
import { initBackend, type BackendInfo, type BackendName } from '../backend';
import { bioTagSet } from '../data/bio';
import { datasetCacheDir } from '../data/cache-dir';
import { experimentDataset } from '../data/experiment-dataset';
import { checkStagesData, describeRunData, runDataOf, type RunData } from './run-data';
import type { Dataset } from '../data/dataset';
import { loadImageTensorCache, type ImageTensorCache } from '../data/images';
import { UserError } from '../errors';
import { baselineKey, type BaselineInstance, type BaselineResult } from '../eval/baseline';
import { baselineInputs } from '../eval/baseline-inputs';
import { evaluateSplit } from '../eval/evaluate';
import { queryOutcomes, writeOutcomes } from '../eval/outcomes';
import type { MetricEvaluator } from '../eval/metric';
import { modelEncoder } from '../eval/model-encoder';
import { writeRunReport } from '../report';
import { recordRunDir } from '../store/store';
import type { Registry } from '../registry';
import { subsetRecords } from '../data/subset';
import { buildTrainData } from './data';
import { createModel, type ModelBundle } from './model-factory';
import { notify, type Observer, type ObserverContext } from './observer';
import { runRecorder } from './run-recorder';
import { RunTimer } from './timings';
import {
  claimRunDir,
  gitSha,
  loadAndResolve,
  lockRun,
  readRunJson,
  removeRunDir,
  runFile,
  writeRunConfig,
} from '../run';
import { train, type TrainResult } from './trainer';

export interface RunOptions {
  registry: Registry;
  /** Where run directories go (default runs/). */
  outDir?: string;
  runId?: string;
  /** Default: $UNIR_BACKEND, else the experiment's backend, else auto. */
  backend?: BackendName;
  /** Progress lines of data loading etc. (default: stderr). */
  log?: (line: string) => void;
  /** Where observers print (default: process.stderr). */
  out?: ObserverContext['out'];
  signal?: AbortSignal;
  /** The experiment file, recorded in run.json. */
  source?: string;
  /** The DuckDB run store a finished run is recorded in (default: unir.duckdb next to the run directory). */
  db?: string;
  /** Resume: extra plugin modules (--plugin) imported after the ones config.json records. */
  plugins?: readonly string[];
}

export interface RunOutcome {
  runId: string;
  runDir: string;
  result: TrainResult;
  backend: BackendInfo;
}

/**
 * A fresh run: runs/<runId>/ with config.json (the resolved experiment), then trains. A run that fails before its
 * first step is done (bad data, a broken plugin) leaves no directory behind: there is nothing to resume.
 */
export async function runExperiment(resolved: ResolvedExperiment, o: RunOptions): Promise<RunOutcome> {
  const e = resolved.experiment;
  const { runId, runDir, claimed, created } = claimRunDir(resolve(o.outDir ?? 'runs'), e, o.runId);
  writeRunConfig(runDir, e);
  return execute(resolved, runDir, runId, o, false, claimed ? { created } : undefined);
}

/** Continues a run from its newest checkpoint, with the run's own config.json and (by default) its backend. */
export async function resumeRun(runDir: string, o: RunOptions): Promise<RunOutcome> {
  const { resolved, runDir: dir } = await loadAndResolve(
    { runDir },
    { registry: o.registry, plugins: o.plugins, warn: o.log },
  );
  const prev = readRunJson(dir!);
  if (prev?.status === 'finished')
    throw new UserError(
      `${runDir}: this run already finished; start a new one with 'unir run ${resolved.experiment.id}'`,
    );
  const backend =
    o.backend ?? (process.env.UNIR_BACKEND as BackendName | undefined) ?? (prev?.backend as BackendName | undefined);
  return execute(resolved, dir!, prev?.runId ?? basename(dir!), { ...o, backend }, true);
}

function pairsOf(resolved: ResolvedExperiment): Set<PairType> {
  return new Set(resolved.stages.flatMap((s) => s.terms.map((t) => t.pair)));
}

/**
 * Trains under the run's lock. `fresh`: a run directory this run created (not a resume, not a folder the user
 * made), removed again with the folders made above it when the run fails before its first step.
 */
async function execute(
  resolved: ResolvedExperiment,
  runDir: string,
  runId: string,
  o: RunOptions,
  resume: boolean,
  fresh?: { created?: string },
): Promise<RunOutcome> {
  const release = lockRun(runDir);
  const progress = { steps: 0 };
  let failedEarly = false;
  try {
    return await executeLocked(resolved, runDir, runId, o, resume, progress);
  } catch (err) {
    failedEarly = fresh !== undefined && progress.steps === 0; // nothing worth keeping: no half-made run folder
    throw err;
  } finally {
    release();
    if (failedEarly) removeRunDir(runDir, fresh!.created);
  }
}

async function executeLocked(
  resolved: ResolvedExperiment,
  runDir: string,
  runId: string,
  o: RunOptions,
  resume: boolean,
  progress: { steps: number },
): Promise<RunOutcome> {
  const e = resolved.experiment;
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const t0 = performance.now();
  const previous = resume ? readRunJson(runDir) : undefined;
  const timer = new RunTimer(previous); // run.json's durationSec and timings: from here, resumes adding up
  const backend = await initBackend({
    backend: o.backend ?? (process.env.UNIR_BACKEND as BackendName | undefined) ?? e.backend,
  });
  const checkpoint = resume ? await loadLatestCheckpoint(runFile(runDir, 'checkpoints')) : undefined; // decoding needs the backend
  if (resume && !checkpoint) log(`unir: ${runDir} has no checkpoint yet; starting it from the beginning`);
  const { observer: recorder } = runRecorder({
    runDir,
    runId,
    experiment: e.id,
    source: o.source,
    seed: e.seed,
    backend: backend.name,
    threads: backend.threads,
    simd: backend.simd,
    ...(backend.relaxedSimd !== undefined ? { relaxedSimd: backend.relaxedSimd } : {}),
    ...(backend.nativeGemm !== undefined ? { nativeGemm: backend.nativeGemm } : {}),
    gitSha: gitSha(),
    startedAt: new Date().toISOString(),
    previous,
    timer,
  });
  const ctx: ObserverContext = { runDir, out: o.out ?? process.stderr };
  const observers: Observer[] = [
    recorder,
    ...e.observers.map(({ id, ...cfg }) => o.registry.create('observer', id, cfg, ctx)),
    { onStepEnd: () => void progress.steps++ },
  ];
  if (resume && !checkpoint) for (const ob of observers) ob.restore?.(undefined); // e.g. history.jsonl starts over
  let bundle: ModelBundle | undefined;
  try {
    const prepared = await prepare(resolved, o.registry, log, timer);
    bundle = prepared.bundle;
    const result = await train({
      model: bundle.model,
      data: prepared.data,
      stages: resolved.stages,
      registry: o.registry,
      optimizer: e.optimizer,
      batchSize: e.data.batchSize,
      seed: e.seed,
      observers,
      evaluate: (split, stage) => prepared.evaluate(split, stage === 'final' ? runDir : undefined),
      evalSplit: e.data.evalSplit,
      testSplit: e.data.testSplit,
      checkpoints: { dir: runFile(runDir, 'checkpoints'), every: e.checkpointEvery, keep: e.keepCheckpoints },
      resume: checkpoint,
      run: { runId, runDir, experiment: { ...e }, backend: backend.name, threads: backend.threads },
      signal: o.signal,
      augment: e.data.augment,
      timer,
    });
    await notify(observers, 'onRunEnd', {
      status: result.status,
      durationSec: (performance.now() - t0) / 1000,
      final: result.final,
      timings: timer.snapshot(),
    });
    if (result.status === 'finished')
      await publishRun(runDir, o.registry, o.db ?? join(dirname(runDir), 'unir.duckdb'), log);
    return { runId, runDir, result, backend };
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0]!;
    await notify(observers, 'onRunEnd', {
      status: 'failed',
      durationSec: (performance.now() - t0) / 1000,
      error: msg,
      timings: timer.snapshot(),
    }).catch(() => {});
    throw err;
  } finally {
    bundle?.model.dispose();
  }
}

/**
 * A finished run's report.html/.md/.json and its rows in the run store. Both are rebuilt from the run
 * directory, so a failure here is a warning ('unir report' / 'unir runs --rebuild' redo them), not a failed run.
 */
async function publishRun(runDir: string, registry: Registry, db: string, log: (l: string) => void): Promise<void> {
  try {
    writeRunReport(runDir, registry);
  } catch (err) {
    log(
      `unir: warning: report not written (${(err as Error).message.split('\n')[0]}); retry with 'unir report ${runDir}'`,
    );
  }
  try {
    await recordRunDir(db, runDir);
  } catch (err) {
    log(
      `unir: warning: run not recorded in ${db} (${(err as Error).message.split('\n')[0]}); retry with 'unir runs --rebuild'`,
    );
  }
}

interface Prepared {
  bundle: ModelBundle;
  data: ReturnType<typeof buildTrainData>;
  /** Metrics of a split; with exportTo, also writes exportTo/embeddings/<split>.{f32,json}. */
  evaluate: (split: string, exportTo?: string) => Promise<Record<string, unknown>>;
  dataset: Dataset;
}

/**
 * The run's data, checked before anything is built: the dataset loaded, the splits the run uses (runDataOf) and
 * what the stages need of them (checkStagesData) — each problem a one-line UserError — then described: the lines a
 * run prints at its start (groups, images, languages per split, chance R@10) and its warnings.
 */
export async function inspectRunData(
  resolved: ResolvedExperiment,
  registry: Registry,
  log: (l: string) => void,
): Promise<{ run: RunData; lines: string[]; warnings: string[] }> {
  const e = resolved.experiment;
  const dataset = await experimentDataset(e, registry, log);
  const run = runDataOf(e, dataset);
  const stageWarnings = checkStagesData(run, resolved.stages, registry, e.data.batchSize);
  const { lines, warnings } = describeRunData(run);
  return { run, lines, warnings: [...warnings, ...stageWarnings.map((w) => `warning: ${w}`)] };
}

/**
 * Dataset, model, tokenized/decoded training data and the evaluation function of a run. The timer's `data` gets the
 * dataset and its checks, the decoded images (also those an evaluation decodes) and the training data.
 */
async function prepare(
  resolved: ResolvedExperiment,
  registry: Registry,
  log: (l: string) => void,
  timer: RunTimer,
): Promise<Prepared> {
  const e = resolved.experiment;
  const { run: rd, lines, warnings } = await timer.time('data', () => inspectRunData(resolved, registry, log));
  for (const l of [...lines, ...warnings]) log(`unir: ${l}`);
  const dataset = rd.dataset;
  const languages = e.data.languages;
  const trainLanguages = e.data.trainLanguages ?? languages;
  const subset = (split: string) =>
    rd.evaluated.find((s) => s.split === split)?.records ??
    subsetRecords(dataset.split(split), {
      maxGroups: e.data.maxGroups[split as keyof Experiment['data']['maxGroups']],
      languages: split === 'train' ? trainLanguages : languages,
      seed: e.seed,
    });
  const tags = bioTagSet(dataset.slotLabels);
  const bundle = await createModel(e.model, {
    registry,
    seed: e.seed,
    numIntents: dataset.intents.length,
    numSlotLabels: tags.length,
  });
  const imageSize = e.data.imageSize ?? bundle.imageSize ?? 32;
  const pairs = pairsOf(resolved);
  const caches = new Map<string, ImageTensorCache>();
  const images = async (split: string) => {
    let c = caches.get(split);
    if (!c) {
      c = await timer.time('data', () => loadImageTensorCache(dataset, split, imageSize, { skipBad: true, log }));
      caches.set(split, c);
    }
    return c;
  };
  const t0 = performance.now();
  const train = rd.train.records;
  const trainImages = pairs.has('image-caption') || pairs.has('image-image') ? await images('train') : undefined;
  const data = timer.time('data', () =>
    buildTrainData(train, {
      tokenizer: bundle.tokenizer,
      images: trainImages,
      intents: dataset.intents,
      slotLabels: dataset.slotLabels,
      pairs,
      cache: { dir: join(datasetCacheDir(dataset), 'tokens'), tokenizer: e.model.tokenizer ?? null },
      log,
    }),
  );
  for (const s of resolved.stages) {
    for (const p of Object.keys(s.data) as PairType[]) {
      if (!data.pools[p]?.size) {
        // e.g. every image of the pairs left out as bad (skipBadImages)
        throw new UserError(
          `curriculum.stages.${s.name}: needs '${p}' examples but the train split of '${dataset.name}' has none left${trainLanguages ? ` in ${trainLanguages.join(', ')}` : ''}; drop its terms or use other data`,
        );
      }
    }
  }
  const sizes = PAIR_TYPES.filter((p) => data.pools[p])
    .map((p) => `${p} ${data.pools[p]!.size}`)
    .join(', ');
  log(
    `unir: train data: ${train.images.length} images, ${train.texts.length} texts, ${train.queries.length} queries → ${sizes} pairs (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );

  const metricRefs = e.eval.metrics ?? registry.list('metric').map((p) => ({ id: p.id }));
  const evaluators = metricRefs.map(({ id, ...cfg }) => registry.create('metric', id, cfg, {}, 'eval.metrics'));
  const baselines = (e.eval.baselines as { id: string }[]).map(({ id, ...cfg }) => ({
    key: baselineKey(id),
    make: registry.create('baseline', id, cfg, undefined, 'eval.baselines'),
  }));
  const baselineCache = new Map<string, Record<string, BaselineResult>>(); // by split: they do not change with the model
  const encodings = new Map<string, Map<string, EncodedBatch>>(); // by split: tokens do not change either
  const evaluate = async (split: string, exportTo?: string) => {
    const cache = await images(split);
    const have = new Set(cache.ids);
    const all = subset(split);
    const records = { ...all, images: all.images.filter((im) => have.has(im.id)) };
    if (!encodings.has(split)) encodings.set(split, new Map());
    const encoder = modelEncoder(bundle.model, bundle.tokenizer, cache, encodings.get(split));
    const { metrics, inputs } = await evaluateSplit(encoder, records, {
      split,
      metrics: evaluators,
      batchSize: e.eval.batchSize,
      intentLabels: dataset.intents,
      slotLabels: tags,
      exportTo,
    });
    if (exportTo) writeOutcomes(exportTo, queryOutcomes(inputs)); // per-query results: the paired bootstrap of `unir results`
    let base = baselineCache.get(split);
    if (!base && baselines.length) {
      const inputs = baselineInputs(dataset, split, records, train, log);
      base = {};
      for (const b of baselines) base[b.key] = await b.make.compute(inputs);
      baselineCache.set(split, base);
    }
    return { ...metrics, ...(base ? { baselines: base } : {}) } as Record<string, unknown>;
  };
  return { bundle, data, evaluate, dataset };
}
