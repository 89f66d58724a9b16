// `npm run bench`: one full stage-3 training step of the experiments' models (paper-three-stage, smoke), unir
// (bench/train-step.ts, each backend configuration in its own process) side by side with the same model and
// step in PyTorch (bench/torch-reference.py, same thread count), as ONE table.
//   npm run bench                   table
//   npm run bench -- --json         JSON lines only, one per (model, backend, threads)
//   npm run bench -- --model paper  one model;  --steps N  timed steps;  --profile  per-kernel times (stderr)
//   npm run bench -- --rounds 5     5 rounds, each unir then PyTorch: medians and the ratio's range over rounds
//   npm run bench -- --all          also bench/matmul.ts (matmul GFLOP/s per backend), bench/image-tower.ts (the CNN
//                                   alone, beside PyTorch) and bench/augment.ts (augmentation images/s)
// PyTorch runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for its command only (FACTS.md: Debian's
// OpenBLAS is otherwise told this CPU is an old SSE3 one, ≈ 3× slower), at its best torch/BLAS thread split. scripts/bench-setup.sh installs it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nativeGemmStatus } from '../src/core/backend/native/native';
import { machine, machineLine } from './lib/machine';
import { median } from './lib/measure';
import { runPython } from './lib/python';
import { formatTable } from './lib/table';
import { MODELS, type ModelName, type StepShape } from './lib/unir-step';
import { defaultConfigs, runTrainStep, SMOKE_STEPS, type TrainStepResult, warmupSteps } from './train-step';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface TorchResult {
  msPerStep: number;
  params: number;
  loss: number;
  threads: number;
  torch: string;
  openblasThreads?: number;
  blas?: { libraries: string[]; coreType?: string; config?: string; torchCpuCapability?: string; mkldnn?: boolean };
}

/** 'torch 1.13.0 (CPU capability AVX2, oneDNN) over OpenBLAS 0.3.21, core type Cooperlake'. */
function torchLine(t: TorchResult): string {
  const b = t.blas;
  const lib = b?.config?.split(' ').slice(0, 2).join(' ') ?? b?.libraries[0] ?? 'an unknown BLAS';
  const cap = [b?.torchCpuCapability && `CPU capability ${b.torchCpuCapability}`, b?.mkldnn && 'oneDNN'].filter(
    Boolean,
  );
  return `torch ${t.torch}${cap.length ? ` (${cap.join(', ')})` : ''} over ${lib}${b?.coreType ? `, core type ${b.coreType}` : ''}`;
}

/** Installs python3-torch when missing; returns why torch cannot run, or undefined. */
function setupTorch(): string | undefined {
  const r = spawnSync('bash', [`${ROOT}scripts/bench-setup.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
  return r.status === 0 ? undefined : `scripts/bench-setup.sh failed (exit ${r.status}); torch column left empty`;
}

function runTorchOnce(shape: StepShape, torchThreads: number, openblasThreads: number, steps: number): TorchResult {
  const warmup = warmupSteps(shape.model as ModelName);
  const r = runPython(
    `${ROOT}bench/torch-reference.py`,
    [
      '--shape',
      JSON.stringify(shape),
      '--threads',
      String(torchThreads),
      '--steps',
      String(steps),
      '--warmup',
      String(warmup),
    ],
    openblasThreads,
  );
  const last = r.stdout?.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{'))
    throw new Error(`bench/torch-reference.py failed (exit ${r.status ?? r.signal}): ${r.stdout?.slice(-300)}`);
  return { ...(JSON.parse(last) as TorchResult), threads: torchThreads, openblasThreads };
}

/**
 * PyTorch at its best on N cores. Debian's torch calls a threaded OpenBLAS: N torch threads each starting
 * N OpenBLAS threads oversubscribe the cores (measured here: 2+2 threads ≈ 890 ms/step vs ≈ 340 ms), so
 * with N > 1 both splits are timed — N torch threads over single-threaded BLAS, and 1 torch thread over
 * N BLAS threads — and the faster one is the reference.
 */
function runTorch(shape: StepShape, threads: number, steps: number): TorchResult {
  if (threads === 1) return runTorchOnce(shape, 1, 1, steps);
  const a = runTorchOnce(shape, threads, 1, steps);
  const b = runTorchOnce(shape, 1, threads, steps);
  return a.msPerStep <= b.msPerStep ? a : b;
}

/** Which code runs unir's products, GELU and attention (wasm rows): the native addon's instruction set, or why not. */
function nativeGemmLabel(): string {
  const s = nativeGemmStatus();
  return s.isa
    ? `native kernels for products, GELU, attention, convolution, AdamW (${s.isa}; src/core/backend/native/gemm.c, the wasm kernels' bits)`
    : `wasm kernels (native addon ${s.reason})`;
}

const fmt = (x: number | undefined, d = 1) => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '-');

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const models = flag('--model') ? [flag('--model') as ModelName] : (Object.keys(MODELS) as ModelName[]);
  for (const m of models)
    if (!(m in MODELS)) throw new Error(`--model: unknown model '${m}'; use one of ${Object.keys(MODELS).join(', ')}`);
  const steps = flag('--steps') ? Number(flag('--steps')) : undefined;
  const torchProblem = setupTorch();
  if (torchProblem) console.error(torchProblem);
  const rounds = flag('--rounds') ? Number(flag('--rounds')) : 1;
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(
      `--rounds: expected a whole number ≥ 1 (rounds of unir and PyTorch, alternating), got ${flag('--rounds')}`,
    );
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  for (const model of models) {
    // Each round times every configuration in unir and then in PyTorch, so a slow minute of the host falls on both
    // sides of a round's ratio; the ratio reported is the median over rounds, beside its range. Odd rounds run the
    // configurations in reverse order: the first child of a round was measured slower, whichever it was (1 thread
    // first in every round gave 2 threads − 1 thread = +1.96 ± 1.32 ms a smoke step; alternating, +0.34 ± 0.51).
    const split = new Map<number, [number, number]>(); // threads → PyTorch's best (torch, OpenBLAS) split, round 1
    const byCfg = new Map<string, { u: TrainStepResult[]; t: TorchResult[] }>();
    for (let round = 0; round < rounds; round++) {
      const torchByThreads = new Map<number, TorchResult>();
      const cfgs = defaultConfigs(model);
      for (const cfg of round % 2 === 1 ? [...cfgs].reverse() : cfgs) {
        const u: TrainStepResult = runTrainStep(model, cfg, { steps, profile: argv.includes('--profile') });
        const key = `${cfg.backend}-${cfg.threads}`;
        const acc = byCfg.get(key) ?? { u: [], t: [] };
        byCfg.set(key, acc);
        acc.u.push(u);
        if (u.skipped || torchProblem) continue;
        const torchSteps = steps ?? (model === 'paper' ? 5 : SMOKE_STEPS);
        let t = torchByThreads.get(u.threads);
        if (!t) {
          const s = split.get(u.threads);
          t = s ? runTorchOnce(u.shape, s[0], s[1], torchSteps) : runTorch(u.shape, u.threads, torchSteps);
          split.set(u.threads, [t.threads, t.openblasThreads ?? 1]);
          torchByThreads.set(u.threads, t);
        }
        acc.t.push(t);
        if (t.params !== u.shape.params)
          notes.push(`${model}: parameter counts differ: unir ${u.shape.params}, torch ${t.params}`);
      }
    }
    for (const { u: us, t: ts } of byCfg.values()) {
      const u = us[0]!;
      const cfg = { backend: u.backend, threads: u.threads };
      if (u.skipped) {
        notes.push(`${model} ${cfg.backend}: skipped — ${u.skipped}`);
        if (json)
          console.log(JSON.stringify({ model, backend: cfg.backend, threads: cfg.threads, skipped: u.skipped }));
        else rows.push([model, cfg.backend, cfg.threads, 'skipped', '-', '-', '-', '-', '-', '-']);
        continue;
      }
      const unirMs = median(us.map((x) => x.msPerStep));
      const t = ts.length ? ts[0] : undefined;
      const torchMs = ts.length ? median(ts.map((x) => x.msPerStep)) : undefined;
      const ratios = ts.map((x, i) => us[i]!.msPerStep / x.msPerStep);
      const ratio = ratios.length ? median(ratios) : undefined;
      const range = ratios.length > 1 ? `${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}` : '-';
      const gflops = u.shape.flopsPerStep / (unirMs / 1000) / 1e9;
      const samplesPerSec = median(us.map((x) => x.samplesPerSec));
      const peakRssMb = Math.max(...us.map((x) => x.peakRssMb));
      if (json) {
        console.log(
          JSON.stringify({
            model,
            backend: u.backend,
            threads: u.threads,
            unirMsPerStep: unirMs,
            torchMsPerStep: torchMs ?? null,
            ratio: ratio ?? null,
            rounds,
            unirMsRounds: us.map((x) => x.msPerStep),
            torchMsRounds: ts.map((x) => x.msPerStep),
            ratioRounds: ratios,
            gflops,
            torchGflops: torchMs ? u.shape.flopsPerStep / (torchMs / 1000) / 1e9 : null,
            samplesPerSec,
            peakRssMb,
            params: u.shape.params,
            torchParams: t?.params ?? null,
            torchThreads: t?.threads ?? null,
            torchOpenblasThreads: t?.openblasThreads ?? null,
            flopsPerStep: u.shape.flopsPerStep,
            batch: u.shape.batch,
            machine: machine(),
            nativeGemm: nativeGemmLabel(),
            torchVersion: t?.torch ?? null,
            torchBlas: t?.blas ?? null,
          }),
        );
      } else {
        rows.push([
          model,
          u.backend,
          u.threads,
          fmt(unirMs),
          fmt(torchMs),
          fmt(ratio, 2),
          range,
          fmt(gflops, 2),
          fmt(samplesPerSec),
          fmt(peakRssMb, 0),
        ]);
        notes.push(
          `${model}: ${u.shape.params} params (torch ${t?.params ?? '-'}), batch ${u.shape.batch}, ${(u.shape.flopsPerStep / 1e9).toFixed(2)} GFLOP/step`,
        );
        if (t) notes.push(`PyTorch: ${torchLine(t)}`);
        if (t && u.threads > 1)
          notes.push(
            `${model} torch at ${u.threads} cores: best split was ${t.threads} torch thread(s) × ${t.openblasThreads} OpenBLAS thread(s)`,
          );
      }
    }
  }
  if (!json) {
    console.log(`machine: ${machineLine()}`);
    console.log(`unir: ${nativeGemmLabel()}`);
    if (rounds > 1)
      console.log(`${rounds} rounds (unir, then PyTorch, each round): ms/step and unir/torch are medians over rounds`);
    console.log(
      formatTable(
        [
          'model',
          'backend',
          'threads',
          'unir ms/step',
          'torch ms/step',
          'unir/torch',
          'ratio range',
          'GFLOP/s',
          'samples/s',
          'peak RSS MB',
        ],
        rows,
      ),
    );
    for (const n of [...new Set(notes)]) console.log(`  ${n}`);
  }
  if (argv.includes('--all')) {
    for (const bench of ['matmul', 'image-tower', 'augment']) {
      const r = spawnSync(
        process.execPath,
        [`${ROOT}bin/run-ts.mjs`, `${ROOT}bench/${bench}.ts`, ...(json ? ['--json'] : [])],
        { stdio: 'inherit' },
      );
      if (r.status !== 0) process.exitCode = 1;
    }
  }
}

await main(process.argv.slice(2));
