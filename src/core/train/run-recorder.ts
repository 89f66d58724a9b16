import * as tf from '@tensorflow/tfjs-core';
import type { MetricsFile } from '../eval/metrics-schema';
import { writeMetricsJson } from '../run/metrics';
import { type RunJson, unirVersion, writeRunJson } from '../run/run-json';
import type { Observer } from './observer';
import { RunTimer } from './timings';

/** The Slurm job and array task running this process, if one is. */
function slurmTask(): Pick<RunJson, 'slurm'> {
  const env = process.env;
  const jobId = env.SLURM_ARRAY_JOB_ID ?? env.SLURM_JOB_ID;
  return jobId ? { slurm: { jobId, taskId: env.SLURM_ARRAY_TASK_ID, node: env.SLURMD_NODENAME } } : {};
}

/**
 * Keeps run.json and metrics.json of a run directory up to date: status at start, after every stage and
 * at the end (also on failure); metrics.json = `{runId, experiment, backend, seed, stages: [{name, metrics}],
 * final}` after every stage (final = {} until the test evaluation). Its state (the stage metrics) travels in
 * checkpoints, so a resumed run writes the same metrics.json as an uninterrupted one. durationSec and `timings`
 * come from `timer` (by default one started here): the run's caller times its parts with the same timer.
 */
export function runRecorder(
  init: Omit<
    RunJson,
    | 'status'
    | 'updatedAt'
    | 'durationSec'
    | 'timings'
    | 'globalStep'
    | 'totalSteps'
    | 'resumes'
    | 'node'
    | 'tfjs'
    | 'unir'
  > & { runDir: string; previous?: RunJson; timer?: RunTimer },
) {
  const { runDir, previous, timer = new RunTimer(previous), ...fields } = init;
  const record: RunJson = {
    ...fields,
    node: process.version,
    tfjs: tf.version_core,
    unir: unirVersion(),
    status: 'running',
    startedAt: previous?.startedAt ?? fields.startedAt,
    updatedAt: new Date().toISOString(),
    durationSec: previous?.durationSec ?? 0,
    globalStep: 0,
    totalSteps: 0,
    resumes: previous?.resumes ?? [],
    ...slurmTask(),
  };
  let stages: MetricsFile['stages'] = [];
  const writeRun = (patch: Partial<RunJson>) => {
    const timings = patch.timings ?? timer.snapshot();
    Object.assign(record, patch, { updatedAt: new Date().toISOString(), durationSec: timings.total, timings });
    writeRunJson(runDir, record);
  };
  const writeMetrics = (final: Record<string, unknown>) =>
    writeMetricsJson(runDir, {
      runId: record.runId,
      experiment: record.experiment,
      backend: record.backend,
      seed: record.seed,
      stages,
      final,
    } as MetricsFile);

  const observer: Observer = {
    onRunStart(r) {
      if (r.resumedFrom)
        record.resumes = [
          ...record.resumes,
          { at: new Date().toISOString(), fromStep: r.resumedFrom.globalStep, gitSha: fields.gitSha },
        ];
      writeRun({ status: 'running', totalSteps: r.totalSteps, globalStep: r.resumedFrom?.globalStep ?? 0 });
    },
    onStepEnd(s) {
      record.globalStep = s.globalStep;
    },
    onStageEnd(s) {
      if (s.metrics) {
        stages = [
          ...stages.filter((x) => x.name !== s.name),
          { name: s.name, metrics: s.metrics as MetricsFile['final'] },
        ];
        writeMetrics({});
      }
      writeRun({});
    },
    onRunEnd(r) {
      if (r.status === 'finished') writeMetrics(r.final ?? {});
      writeRun({
        status: r.status,
        ...(r.status === 'finished' ? { finishedAt: new Date().toISOString() } : {}),
        ...(r.error ? { error: r.error } : {}),
        ...(r.timings ? { timings: r.timings } : {}),
      });
    },
    state: () => ({ stages }),
    restore(s) {
      stages = ((s as { stages?: MetricsFile['stages'] } | undefined)?.stages ?? []).slice();
    },
  };
  return { observer, record };
}
