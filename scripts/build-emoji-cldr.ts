// Builds the default dataset into data/emoji-cldr/: `node bin/run-ts.mjs scripts/build-emoji-cldr.ts [--force] [--out DIR]`.
import { buildEmojiCldr } from '../src/plugins/datasets/emoji-cldr/build';

const args = process.argv.slice(2);
const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : undefined;
const r = await buildEmojiCldr({ outDir: out, force: args.includes('--force'), log: (l) => console.log(l) });
if (r.skipped) console.log(`up to date: ${r.manifestPath} (--force rebuilds)`);
