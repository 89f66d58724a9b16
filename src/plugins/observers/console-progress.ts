import { z } from 'zod';
import { formatDuration } from '../../core/train/format';
import type { RunTimings } from '../../core/run/run-json';
import { defineObserver, type StepInfo } from '../../core/train/observer';

export { formatDuration };

const num = (x: number) => (Math.abs(x) >= 100 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(2) : x.toFixed(3));

/** One progress line: `stage1 [1/3] 40/300 | loss 2.314 ti 1.204 tc 2.210 | lr 1.00e-3 | 512/s | ETA 3m12s`. */
export function progressLine(s: StepInfo, stages: number, terms: 'main' | 'all' = 'main'): string {
  const losses = Object.entries(s.losses)
    .filter(([k]) => k !== 'gradNorm' && (terms === 'all' || !k.includes('.')))
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(' ');
  return `${s.stage} [${s.stageIndex + 1}/${stages}] ${s.step}/${s.stageSteps} | ${losses} | lr ${s.lr.toExponential(2)} | ${Math.round(s.samplesPerSec)} samples/s | ETA ${formatDuration(s.etaSec)}`;
}

/** `31.2 s` under a minute, `4m32s` above. */
const seconds = (s: number) => (s < 60 ? `${s.toFixed(1)} s` : formatDuration(s));

/** `time: data 31.2 s · steps 4m32s · eval 41.0 s · checkpoints 2.1 s · other 3.0 s (total 5m49s)`. */
export function timingsLine(t: RunTimings, resumed = false): string {
  const parts = (['data', 'steps', 'eval', 'checkpoints', 'other'] as const).map((k) => `${k} ${seconds(t[k])}`);
  return `time: ${parts.join(' · ')} (total ${seconds(t.total)}${resumed ? ', the parts before the resume included' : ''})`;
}

/** The headline numbers of a metrics object: R@10 means per retrieval task, NLU means. */
export function headlineMetrics(m: Record<string, unknown>): string {
  const parts: string[] = [];
  const retrieval = (m.retrieval ?? {}) as Record<string, Record<string, Record<string, number>>>;
  for (const [task, byLang] of Object.entries(retrieval)) {
    const r10 = byLang?.mean?.['R@10'];
    if (typeof r10 === 'number') parts.push(`${task} R@10 ${r10.toFixed(3)}`);
  }
  const nlu = (m.nlu ?? {}) as Record<string, Record<string, number>>;
  for (const [k, byLang] of Object.entries(nlu))
    if (typeof byLang?.mean === 'number') parts.push(`${k} ${byLang.mean.toFixed(3)}`);
  return parts.join(', ') || '(no metrics)';
}

/**
 * Progress on the terminal: on a TTY one line rewritten in place (\r) every step; otherwise (CI, pipes,
 * files) a line every `every` steps and at the end of each stage. Also prints the run plan, each
 * evaluation's headline numbers, the total time and where it went (data, steps, eval, checkpoints, other).
 */
export const consoleProgress = defineObserver({
  id: 'console-progress',
  summary:
    'One progress line (stage, step/total, losses, samples/s, ETA); \\r updates on a TTY, a line every N steps otherwise',
  configSchema: z.strictObject({
    every: z.number().int().positive().default(10).describe('steps between lines when not on a TTY'),
    terms: z
      .enum(['main', 'all'])
      .default('main')
      .describe("'all' also shows each loss's extra outputs (temperature, ...)"),
    tty: z.boolean().optional().describe('force TTY behaviour on or off (default: detect)'),
  }),
  create(cfg, ctx) {
    const out = ctx.out;
    const tty = cfg.tty ?? Boolean(out.isTTY);
    let stages = 1;
    let started = false;
    let resumed = false;
    let open = false; // a \r line is on screen
    const line = (s: string) => {
      out.write(`${open ? '\r\x1b[K' : ''}${s}\n`);
      open = false;
    };
    return {
      onRunStart(r) {
        started = true;
        stages = r.stages.length;
        const plan = r.stages.map((s) => `${s.name} (${s.steps})`).join(' → ');
        line(
          `run ${r.runId}: ${r.experiment.id}, seed ${r.experiment.seed}, ${r.backend} × ${r.threads} thread(s); ${plan}; ${r.totalSteps} steps`,
        );
        resumed = Boolean(r.resumedFrom);
        if (r.resumedFrom) line(`resuming at global step ${r.resumedFrom.globalStep} (${r.resumedFrom.stage})`);
      },
      onStepEnd(s) {
        const text = progressLine(s, stages, cfg.terms);
        if (tty) {
          out.write(`\r\x1b[K${text}`);
          open = true;
        } else if (s.step % cfg.every === 0 || s.step === s.stageSteps) line(text);
      },
      onEvalEnd(e) {
        line(`${e.stage} ${e.split}: ${headlineMetrics(e.metrics)} (${formatDuration(e.seconds)})`);
      },
      onRunEnd(r) {
        // A run that fails before training starts (bad data, bad config) has one line: the caller's error. After
        // the start, the failure's duration; its message is the caller's one error line (CLI, notebook, sweep log).
        if (!started && r.status === 'failed') return;
        line(`run ${r.status} in ${formatDuration(r.durationSec)}`);
        if (r.timings && r.status !== 'failed') line(timingsLine(r.timings, resumed));
      },
    };
  },
});
