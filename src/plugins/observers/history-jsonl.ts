import { appendFileSync, existsSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineObserver } from '../../core/train/observer';
import { RUN_FILES } from '../../core/run/layout';

/**
 * Appends one JSON line per logged step to <runDir>/history.jsonl:
 * `{stage, step, globalStep, lr, losses: {loss, <term>..., gradNorm}, samplesPerSec, time}`.
 * Its state is the file's length at the checkpoint: a resumed run truncates the rows written after it, so
 * the history of a resumed run equals that of an uninterrupted one (step for step).
 */
export const historyJsonl = defineObserver({
  id: 'history-jsonl',
  summary: 'Writes every logged step (stage, step, lr, losses, samples/s, time) to history.jsonl',
  configSchema: z.strictObject({
    file: z.string().min(1).default(RUN_FILES.history).describe('relative to the run directory'),
    every: z.number().int().positive().default(1).describe('log every N steps (and the last step of each stage)'),
  }),
  create(cfg, ctx) {
    const path = join(ctx.runDir, cfg.file);
    return {
      onStepEnd(s) {
        if (s.step % cfg.every !== 0 && s.step !== s.stageSteps) return;
        const row = {
          stage: s.stage,
          step: s.step,
          globalStep: s.globalStep,
          lr: s.lr,
          losses: s.losses,
          samplesPerSec: Math.round(s.samplesPerSec * 10) / 10,
          time: s.time,
        };
        appendFileSync(path, `${JSON.stringify(row)}\n`);
      },
      state: () => ({ bytes: existsSync(path) ? statSync(path).size : 0 }),
      restore(state) {
        const bytes = (state as { bytes?: number } | undefined)?.bytes ?? 0;
        if (existsSync(path) && statSync(path).size > bytes) truncateSync(path, bytes);
      },
    };
  },
});
