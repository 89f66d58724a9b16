import { initBackend, type BackendName } from '../backend';
import type { ResolvedExperiment } from '../config/experiment';
import type { ResolvedStage } from '../config/stage';
import type { Registry } from '../registry';
import { formatDuration } from './format';
import { createModel } from './model-factory';
import type { StepInfo } from './observer';
import { allocateBatch } from './sampler';
import { syntheticTrainData } from './synthetic';
import { train } from './trainer';

const MEASURED = 5; // timed steps per stage (median), after one untimed step

/** Seconds per step of each stage, timed on synthetic batches of the real shapes with the real model. */
export async function measureStepTimes(
  resolved: ResolvedExperiment,
  registry: Registry,
  backend?: BackendName,
): Promise<{ secPerStep: number[]; backend: string; threads: number }> {
  const e = resolved.experiment;
  const info = await initBackend({
    backend: backend ?? (process.env.UNIR_BACKEND as BackendName | undefined) ?? e.backend,
    quiet: true,
  });
  const numIntents = 4;
  const numSlotTags = 5;
  const bundle = await createModel(e.model, { registry, seed: e.seed, numIntents, numSlotLabels: numSlotTags });
  try {
    const tok = bundle.tokenizer;
    const pairs = new Set(resolved.stages.flatMap((s) => s.terms.map((t) => t.pair)));
    const data = syntheticTrainData(
      {
        ...tok,
        imageSize: e.data.imageSize ?? bundle.imageSize ?? 32,
        numIntents,
        numSlotTags,
        tokens: Math.min(tok.maxLength, 12),
      },
      4 * e.data.batchSize,
      pairs,
    );
    const stages: ResolvedStage[] = resolved.stages.map((s) => ({ ...s, until: { steps: MEASURED + 1 } }));
    const times: number[][] = stages.map(() => []);
    let last = 0;
    await train({
      model: bundle.model,
      data,
      stages,
      registry,
      optimizer: e.optimizer,
      batchSize: e.data.batchSize,
      seed: e.seed,
      observers: [
        {
          onStageStart: () => void (last = performance.now()),
          onStepEnd: (s: StepInfo) => {
            const now = performance.now();
            if (s.step > 1) times[s.stageIndex]!.push((now - last) / 1000);
            last = now;
          },
        },
      ],
    });
    const median = (t: number[]) => t.slice().sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
    return { secPerStep: times.map(median), backend: info.name, threads: info.threads };
  } finally {
    bundle.model.dispose();
  }
}

function describeStage(s: ResolvedStage, batchSize: number): string[] {
  const bs = s.batchSize ?? batchSize;
  const until =
    'steps' in s.until ? `${s.until.steps} steps` : `${s.until.epochs} epochs (steps counted when the data is loaded)`;
  const mix = allocateBatch(bs, s.data)
    .map(([p, n]) => `${p} ${n}`)
    .join(' + ');
  const terms = s.terms.map(
    (t) =>
      `${t.name} = ${t.loss}(${t.pair}${t.nlu || !t.pair.startsWith('query') ? '' : ', no NLU'}) × ${+t.weight.toFixed(6)}${typeof t.weightExpr === 'string' ? ` (${t.weightExpr})` : ''}`,
  );
  return [
    `  ${s.name}: ${until}; train ${s.trainable.join(', ')}${s.frozen.length ? `; frozen ${s.frozen.join(', ')}` : ''}${s.lr ? `; lr ${s.lr}` : ''}`,
    `    batch ${bs} = ${mix}`,
    `    loss = ${terms.join(' + ')}`,
  ];
}

/**
 * What `unir run --dry-run` prints: the resolved experiment (defaults filled in), each stage (steps, what
 * trains, batch mix, weighted terms) and a time estimate from a few steps timed on synthetic batches.
 */
export async function dryRunReport(
  resolved: ResolvedExperiment,
  registry: Registry,
  opts: { measure?: boolean } = {},
): Promise<string> {
  const e = resolved.experiment;
  const lines = [
    `experiment ${e.id}, seed ${e.seed}${e.description ? ` — ${e.description}` : ''}`,
    '',
    'resolved config:',
    JSON.stringify(e, null, 2),
    '',
    'stages:',
  ];
  for (const s of resolved.stages) lines.push(...describeStage(s, e.data.batchSize));
  const steps = resolved.stages.map((s) => ('steps' in s.until ? s.until.steps : undefined));
  const known = steps.every((n) => n !== undefined);
  const total = steps.reduce<number>((a, n) => a + (n ?? 0), 0);
  lines.push(
    `total: ${known ? `${total} steps` : 'depends on the data (epochs)'}; checkpoint every ${e.checkpointEvery || '(stage ends only)'} steps, keep ${e.keepCheckpoints}`,
  );
  if (opts.measure !== false) {
    const m = await measureStepTimes(resolved, registry);
    const per = resolved.stages.map((s, i) => `${s.name} ${m.secPerStep[i]!.toFixed(2)} s/step`).join(', ');
    const train = resolved.stages.reduce((a, _s, i) => a + (steps[i] ?? 0) * m.secPerStep[i]!, 0);
    lines.push(
      `time estimate (${m.backend} × ${m.threads} thread(s), ${MEASURED} steps per stage timed on synthetic batches, median): ${per}`,
    );
    lines.push(
      `  training ≈ ${known ? formatDuration(train) : `${formatDuration(train)} for the step-counted stages`}, plus data loading (the first run builds the dataset) and ${resolved.stages.length + 1} evaluations`,
    );
  }
  return lines.join('\n');
}
