// Images/s of each augmentation of paper-three-stage's recipe and of the whole pipeline, on one batch shape of
// the recipe (stage 1's image–caption share of its batch, at its image size), between the batch assembly and the
// step: first as the JS loops (no backend started: what the cpu backend runs), then on the wasm backend (kernels.c,
// shared with the pool's threads by images: what training runs). Both give the same pixels (the augmentations' test).
// Run: node bin/run-ts.mjs bench/augment.ts [--json]
import { initBackend } from '../src/core/backend';
import { augmentPipeline, type AugmentFn } from '../src/core/augment/augmentation';
import { registry } from '../src/plugins';
import { AUGMENT } from '../experiments/paper-three-stage';
import { machine, machineLine } from './lib/machine';
import { formatTable } from './lib/table';
import { stage1Images } from './lib/unir-step';

const { experiment: e, images: N } = await stage1Images('paper');
const S = (e.model.image as unknown as { imageSize: number }).imageSize,
  REPS = 40;
const json = process.argv.includes('--json');
const reg = registry();
const data = Float32Array.from({ length: N * S * S * 3 }, (_, i) => ((i * 7919) % 1000) / 1000);
const rows: { augmentation: string; on: string; msPerBatch: number; imagesPerSec: number }[] = [];
const measure = (on: string) => {
  for (const spec of [...AUGMENT.map((a) => [a]), AUGMENT]) {
    const run = augmentPipeline(spec.map(({ id, ...cfg }) => reg.create('augmentation', id, cfg) as AugmentFn));
    for (let i = 0; i < 5; i++) run({ data: data.slice(), n: N, size: S }, `warm/${i}`);
    const batches = Array.from({ length: REPS }, () => data.slice());
    const t0 = performance.now();
    batches.forEach((b, i) => run({ data: b, n: N, size: S }, `timed/${i}`));
    const ms = (performance.now() - t0) / REPS;
    rows.push({ augmentation: spec.map((s) => s.id).join(' + '), on, msPerBatch: ms, imagesPerSec: (N / ms) * 1000 });
  }
};
measure('js');
const info = await initBackend({ backend: 'wasm', quiet: true });
measure(`wasm × ${info.threads}`);
if (json) for (const r of rows) console.log(JSON.stringify({ ...r, images: N, size: S, machine: machine() }));
else {
  console.log(machineLine(machine()));
  console.log(
    formatTable(
      ['augmentation', 'on', `ms / ${N} images`, 'images/s'],
      rows.map((r) => [r.augmentation, r.on, r.msPerBatch.toFixed(2), r.imagesPerSec.toFixed(0)]),
    ),
  );
}
