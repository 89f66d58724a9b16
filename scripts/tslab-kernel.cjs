// Starts tslab (`node scripts/tslab-kernel.cjs kernel --config-path <file>`, as unir's kernel specs do) with
// TypeScript's directory watching off.
//
// Why: tslab type-checks cells with a TypeScript watch program whose timers it runs itself and allows one pending
// timer only. TypeScript watches the folders of failed module lookups (src/, node_modules/) and the package.json
// files of resolved packages; when a .ts/.js/.json file appears there while the kernel is idle (you save a file
// in src/, a test or a build writes one), TypeScript schedules a second timer and every later cell fails with
// "Unexpected pending rebuildTimer" until the kernel is restarted. Without those watchers nothing schedules that
// timer. Edits to files the cells already use are still seen: those are watched per file, through the timer tslab
// runs. The cost: a module that a cell failed to import is looked up again only after a kernel restart.
const { dirname, join } = require('node:path');

const tslabDir = dirname(require.resolve('tslab/package.json'));
const ts = require(require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] }));
const noWatcher = () => ({ close() {} });
const watchFile = ts.sys.watchFile;
ts.sys.watchDirectory = noWatcher;
ts.sys.watchFile = (path, ...rest) => (/\.([cm]?[jt]sx?)$/.test(path) ? watchFile.call(ts.sys, path, ...rest) : noWatcher());

require(join(tslabDir, 'dist', 'main.js')).main();
