import { pluginDefiner } from '../registry/plugin';
import type { RunTimings } from '../run/run-json';

type Awaitable<T> = T | Promise<T>;

/** The run an observer watches. */
export interface RunInfo {
  runId: string;
  runDir: string;
  experiment: { id: string; seed: number } & Record<string, unknown>;
  backend: string;
  threads: number;
  stages: { name: string; steps: number }[];
  totalSteps: number;
  /** Set when the run continues from a checkpoint. */
  resumedFrom?: { globalStep: number; stage: string };
}

export interface StageInfo {
  name: string;
  index: number;
  steps: number;
  /** Steps already done in this stage (resume), 0 otherwise. */
  startStep: number;
}

/** After every optimisation step. Loss values are this step's (not averaged). */
export interface StepInfo {
  stage: string;
  stageIndex: number;
  step: number; // 1-based within the stage
  stageSteps: number;
  globalStep: number; // 1-based over the run
  totalSteps: number;
  lr: number;
  losses: Record<string, number>; // 'loss' (weighted sum), each term, `<term>.<extra>`, 'gradNorm'
  batchSize: number;
  samplesPerSec: number; // over the steps since the previous call, this process
  elapsedSec: number; // training time of this process
  etaSec: number; // remaining steps at the recent pace (evaluation excluded)
  time: string; // ISO timestamp
}

export interface EvalInfo {
  stage: string; // the stage just finished, or 'final'
  split: string;
  metrics: Record<string, unknown>;
  seconds: number;
}

export interface RunResult {
  status: 'finished' | 'failed' | 'interrupted';
  durationSec: number;
  /** Where the run's time went, summed over its processes (run.json `timings`); set by `unir run`. */
  timings?: RunTimings;
  final?: Record<string, unknown>;
  error?: string;
}

/**
 * Training hooks, all optional and awaited in order. `state()` is saved in every checkpoint and handed to
 * `restore()` before onRunStart of a resumed run (e.g. the history writer truncates to the checkpoint).
 */
export interface Observer {
  onRunStart?(run: RunInfo): Awaitable<void>;
  onStageStart?(stage: StageInfo): Awaitable<void>;
  onStepEnd?(step: StepInfo): Awaitable<void>;
  onEvalEnd?(e: EvalInfo): Awaitable<void>;
  onStageEnd?(stage: StageInfo & { metrics?: Record<string, unknown> }): Awaitable<void>;
  onRunEnd?(result: RunResult): Awaitable<void>;
  state?(): unknown;
  restore?(state: unknown): void;
}

/** Given to an observer's create(). */
export interface ObserverContext {
  runDir: string;
  /** Where human-readable progress goes (stderr by default). */
  out: { write(s: string): unknown; isTTY?: boolean };
}

export const defineObserver = pluginDefiner('observer')<ObserverContext, Observer>();

/** Calls `hook` on every observer that has it, in order. */
export async function notify<K extends keyof Observer>(
  observers: readonly Observer[],
  hook: K,
  ...args: Parameters<NonNullable<Observer[K]>>
): Promise<void> {
  for (const o of observers) {
    const f = o[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (f) await f.apply(o, args);
  }
}
