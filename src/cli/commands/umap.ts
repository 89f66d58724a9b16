import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { disposeBackend } from '../../core/backend';
import { UserError } from '../../core/errors';
import { writeFileAtomic } from '../../core/fs-atomic';
import { renderUmapHtml } from '../../core/umap/page';
import { buildRunMap } from '../../core/umap/run-map';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';

export const command: CliCommand = {
  name: 'umap',
  summary:
    "Map a run's test-split embeddings (all languages + images) in 2-D and 3-D, with trustworthiness and alignment",
  usage: `Usage: unir umap <runDir> [--split test] [--out FILE.html] [--seed N]

Uses <runDir>/embeddings/<split>.{f32,json} (encoded from the newest checkpoint and written there when
missing), projects images and texts with UMAP (exact k-NN up to 3000 points, NN-descent above), and writes
a page with both maps, hover texts and image thumbnails (default <runDir>/umap-<split>.html). Prints the
trustworthiness (k = 10) of the 2-D map and the cross-lingual alignment score.`,
  async run(argv) {
    const { values, positionals } = parseFlags('umap', argv, {
      split: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
    });
    if (positionals.length !== 1)
      throw new UserError("umap: give one run directory, e.g. 'unir umap runs/smoke-s1-...'");
    if (values.seed !== undefined && !/^\d+$/.test(values.seed))
      throw new UserError(`umap: --seed '${values.seed}': expected a non-negative integer`);
    const runDir = resolve(positionals[0]!);
    const split = values.split ?? 'test';
    let last = '';
    try {
      const map = await buildRunMap(runDir, {
        registry: registry(),
        split,
        seed: values.seed === undefined ? undefined : Number(values.seed),
        log: (l) => process.stderr.write(`${l}\n`),
        onProgress: (p) => {
          const line = `umap: ${p.phase} ${Math.round((100 * p.done) / p.total)}%`;
          if (line !== last) process.stderr.write(`${(last = line)}\n`);
        },
      });
      const out = resolve(values.out ?? join(runDir, `umap-${split}.html`));
      mkdirSync(dirname(out), { recursive: true });
      writeFileAtomic(out, renderUmapHtml(map));
      const a = map.alignment;
      console.log(`umap: ${out} (${map.points.length} points)`);
      console.log(`trustworthiness@10: ${map.trustworthiness.toFixed(4)}`);
      console.log(
        `alignment: ${a.score.toFixed(4)} (translations ${a.translations.toFixed(4)} vs random ${a.random.toFixed(4)}, ${a.pairs} pairs)`,
      );
      return 0;
    } finally {
      await disposeBackend();
    }
  },
};
