// Entry point of the notebook API for tslab cells: `import { ... } from './src/notebook'`.
// tslab compiles only the files a cell names and cannot resolve directory imports ('../registry') inside
// src/, so this plain CommonJS file registers tsx's require hook (src/) and its import hook (experiment
// files, loaded with import()) once per kernel, then loads the API through them. Types: index.d.ts.
const { register } = require('node:module');
const { pathToFileURL } = require('node:url');
if (!globalThis.__unirTsxHooks) {
  require('tsx/cjs/api').register();
  // tsx/esm/api's CommonJS build resolves its own loader path wrongly; register the loader directly.
  register(pathToFileURL(require.resolve('tsx/esm')).href, { data: { active: true } });
  globalThis.__unirTsxHooks = true;
}
module.exports = require('./api');
