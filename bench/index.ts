// `npm run bench`: one full stage-3 training step of the experiments' models (paper-three-stage, smoke), unir
// (bench/train-step.ts, each backend configuration in its own process) side by side with the same model and
// step in PyTorch (bench/torch-reference.py, same thread count), as ONE table.
//   npm run bench                   table
//   npm run bench -- --json         JSON lines only, one per (model, backend, threads)
//   npm run bench -- --model paper  one model;  --steps N  timed steps;  --profile  per-kernel times (stderr)
//   npm run bench -- --all          also bench/matmul.ts (matmul GFLOP/s per backend), bench/image-tower.ts (the CNN
//                                   alone, beside PyTorch) and bench/augment.ts (augmentation images/s)
// PyTorch runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for its command only (FACTS.md: Debian's
// OpenBLAS is otherwise told this CPU is an old SSE3 one, ≈ 3× slower), at its best torch/BLAS thread split. scripts/bench-setup.sh installs it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nativeGemmStatus } from '../src/core/backend/native/native';
import { machine, machineLine } from './lib/machine';
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

/** Which code runs unir's products (wasm rows): the native addon's instruction set, or why the wasm kernels do. */
function nativeGemmLabel(): string {
  const s = nativeGemmStatus();
  return s.isa
    ? `native gemm (${s.isa}; src/core/backend/native/gemm.c, the wasm kernels' bits)`
    : `wasm kernels (native gemm ${s.reason})`;
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
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  for (const model of models) {
    const torchByThreads = new Map<number, TorchResult>();
    for (const cfg of defaultConfigs(model)) {
      const u: TrainStepResult = runTrainStep(model, cfg, { steps, profile: argv.includes('--profile') });
      if (u.skipped) {
        notes.push(`${model} ${cfg.backend}: skipped — ${u.skipped}`);
        if (json)
          console.log(JSON.stringify({ model, backend: cfg.backend, threads: cfg.threads, skipped: u.skipped }));
        else rows.push([model, cfg.backend, cfg.threads, 'skipped', '-', '-', '-', '-', '-']);
        continue;
      }
      let t: TorchResult | undefined;
      if (!torchProblem) {
        t =
          torchByThreads.get(u.threads) ?? runTorch(u.shape, u.threads, steps ?? (model === 'paper' ? 5 : SMOKE_STEPS));
        torchByThreads.set(u.threads, t);
        if (t.params !== u.shape.params)
          notes.push(`${model}: parameter counts differ: unir ${u.shape.params}, torch ${t.params}`);
      }
      const ratio = t ? u.msPerStep / t.msPerStep : undefined;
      if (json) {
        console.log(
          JSON.stringify({
            model,
            backend: u.backend,
            threads: u.threads,
            unirMsPerStep: u.msPerStep,
            torchMsPerStep: t?.msPerStep ?? null,
            ratio: ratio ?? null,
            gflops: u.gflops,
            torchGflops: t ? u.shape.flopsPerStep / (t.msPerStep / 1000) / 1e9 : null,
            samplesPerSec: u.samplesPerSec,
            peakRssMb: u.peakRssMb,
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
          fmt(u.msPerStep),
          fmt(t?.msPerStep),
          fmt(ratio, 2),
          fmt(u.gflops, 2),
          fmt(u.samplesPerSec),
          fmt(u.peakRssMb, 0),
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
    console.log(`unir products: ${nativeGemmLabel()}`);
    console.log(
      formatTable(
        [
          'model',
          'backend',
          'threads',
          'unir ms/step',
          'torch ms/step',
          'unir/torch',
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
