// A trained run as a model: config.json → the unified model, its newest checkpoint's weights assigned.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { listCheckpoints, loadCheckpoint, type CheckpointEntry } from '../checkpoint/checkpoint';
import type { Experiment } from '../config/experiment';
import { bioTagSet } from '../data/bio';
import { UserError } from '../errors';
import { createUnifiedModel, type UnifiedModel } from '../model/unified';
import type { Registry } from '../registry';
import { loadAndResolve, readRunJson, RUN_FILES, runFile } from '../run';
import { variableKeys } from '../train/state';

/** What a run directory says about its model, read without a backend. */
export interface RunInfo {
  runDir: string; // absolute
  runId: string; // run.json's runId, else the directory name
  experiment: Experiment; // config.json, resolved (defaults filled in)
  checkpoint: CheckpointEntry; // the newest one
  /** Hash of the resolved model spec + the checkpoint's global step: what an index must have been built with. */
  fingerprint: string;
}

/** Key-sorted JSON, so a fingerprint does not depend on property order. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object') {
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x) ?? 'null';
}

/** sha256 of (resolved model spec, checkpoint step), 16 hex digits. */
export function modelFingerprint(modelSpec: Record<string, unknown>, globalStep: number): string {
  return createHash('sha256')
    .update(`${canonical(modelSpec)}|step=${globalStep}`)
    .digest('hex')
    .slice(0, 16);
}

/**
 * Opens a run (config.json resolved after importing the plugin modules it records and `plugins`) and finds its
 * newest checkpoint; one-line UserErrors for a non-run or an untrained run.
 */
export async function inspectRun(runDir: string, registry: Registry, plugins?: readonly string[]): Promise<RunInfo> {
  const opened = await loadAndResolve({ runDir }, { registry, plugins });
  const dir = opened.runDir!;
  const { experiment } = opened.resolved;
  const all = listCheckpoints(runFile(dir, 'checkpoints'));
  const checkpoint = all[all.length - 1];
  if (!checkpoint) {
    throw new UserError(
      `${runDir}: no checkpoint in ${RUN_FILES.checkpoints}/ (the run has not trained a step yet); train it with 'unir run --resume ${runDir}' first`,
    );
  }
  const runId = readRunJson(dir)?.runId ?? basename(dir);
  return {
    runDir: dir,
    runId,
    experiment,
    checkpoint,
    fingerprint: modelFingerprint(experiment.model, checkpoint.globalStep),
  };
}

export interface LoadRunModelOptions {
  registry: Registry;
  /** The dataset's intents and slot labels: they size the NLU heads (slot head = BIO tags of slotLabels). */
  intents: readonly string[];
  slotLabels: readonly string[];
}

/**
 * Builds the run's unified model (config.json's model spec and seed) and assigns the weights of the newest
 * checkpoint: every `model/<module>/<i>` tensor (loss and optimizer tensors are not needed for inference).
 * Needs an initialised backend. The caller disposes the model.
 */
export async function loadRunModel(info: RunInfo, o: LoadRunModelOptions): Promise<UnifiedModel> {
  const e = info.experiment;
  const model = await createUnifiedModel(e.model, {
    registry: o.registry,
    seed: e.seed,
    numIntents: o.intents.length,
    numSlotLabels: bioTagSet(o.slotLabels).length,
  });
  try {
    const ck = await loadCheckpoint(info.checkpoint.dir);
    const keys = variableKeys(model, new Map()).byKey;
    const fix = `it does not fit ${runFile(info.runDir, 'config')} (edited after training, or another dataset's labels?); restore the config or train again`;
    try {
      const missing = [...keys.keys()].filter((k) => !(k in ck.tensors));
      if (missing.length)
        throw new UserError(
          `${ck.dir}: checkpoint lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` (+${missing.length - 3})` : ''}; ${fix}`,
        );
      for (const [k, v] of keys) {
        const t = ck.tensors[k]!;
        if (t.shape.join() !== v.shape.join())
          throw new UserError(
            `${ck.dir}: '${k}' is [${t.shape}] in the checkpoint but [${v.shape}] in the model; ${fix}`,
          );
      }
      for (const [k, v] of keys) v.assign(ck.tensors[k]!);
    } finally {
      for (const t of Object.values(ck.tensors)) t.dispose();
    }
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  }
}
