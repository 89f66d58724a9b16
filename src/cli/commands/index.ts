import { disposeBackend } from '../../core/backend';
import { UserError } from '../../core/errors';
import { loadAndResolve } from '../../core/run/resolve';
import { buildIndex } from '../../core/search/build-index';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';

export const command: CliCommand = {
  name: 'index',
  summary: "Encode a split's images and text chunks with a trained run into a search index",
  usage: `Usage: unir index <runDir> [--index exact|ivf|lancedb] [--split test] [--batch 128] [--plugin MODULE ...]
       (global: --backend auto|tensorflow-gpu|tensorflow|wasm|cpu)

Encodes every decodable image and every text chunk (role 'chunk', in the run's data.languages) of the split
with the run's newest checkpoint, and writes <runDir>/index/<index>-<split>/ (replacing an older one) with
search.json last. The index records the run id and a model fingerprint (hash of the resolved model config
+ checkpoint step): 'unir search' refuses an index built by another run or checkpoint.
  --index ID   index plugin (default exact; see 'unir plugins')
  --split S    dataset split (default test)
  --batch N    rows encoded per forward pass (default 128)
  --plugin M   import a plugin module besides those config.json records (a path or a package; repeatable)`,
  async run(argv) {
    const { values, positionals } = parseFlags('index', argv, {
      index: { type: 'string', default: 'exact' },
      split: { type: 'string', default: 'test' },
      batch: { type: 'string', default: '128' },
      plugin: { type: 'string', multiple: true },
    });
    if (positionals.length !== 1)
      throw new UserError("index: give one run directory, e.g. 'unir index runs/<runId>' (see 'unir index --help')");
    if (!/^[1-9]\d*$/.test(values.batch))
      throw new UserError(`index: --batch '${values.batch}': expected a positive integer`);
    const reg = registry();
    if (values.index !== 'exact' || values.plugin)
      await loadAndResolve({ runDir: positionals[0]! }, { registry: reg, plugins: values.plugin });
    reg.get('index', values.index, '--index');
    const tty = process.stderr.isTTY;
    let last = 0;
    try {
      const r = await buildIndex({
        runDir: positionals[0]!,
        registry: reg,
        plugins: values.plugin,
        plugin: values.index,
        split: values.split,
        batchSize: Number(values.batch),
        log: (l) => process.stderr.write(`${l}\n`),
        progress: (p) => {
          const now = performance.now();
          if (p.done < p.total && now - last < (tty ? 200 : 2000)) return;
          last = now;
          const line = `unir index: ${p.phase} ${p.done}/${p.total} (${p.itemsPerSec.toFixed(0)} items/s)`;
          process.stderr.write(tty ? `\r${line}${p.done === p.total ? '\n' : ''}` : `${line}\n`);
        },
      });
      const m = r.manifest;
      const rate = (n: number, s: number) => `${(n / Math.max(s, 1e-9)).toFixed(0)}/s`;
      console.log(
        `indexed ${m.counts.images} images (${rate(r.images.count, r.images.seconds)}) + ${m.counts.texts} texts in ${m.languages.join(', ')} (${rate(r.texts.count, r.texts.seconds)})` +
          `${m.counts.skippedImages ? `, skipped ${m.counts.skippedImages} bad images` : ''} with ${r.backend.name}: ${r.meta.count} vectors, dim ${m.dim}`,
      );
      const facts = Object.entries(r.build)
        .filter(([k]) => k !== 'seconds')
        .map(([k, v]) => `${k} ${v}`);
      console.log(`index built in ${r.build.seconds.toFixed(1)} s${facts.length ? ` (${facts.join(', ')})` : ''}`);
      console.log(`model ${m.model} (run ${m.runId}, checkpoint step ${m.checkpointStep}) → ${r.dir}`);
      return 0;
    } finally {
      await disposeBackend();
    }
  },
};
