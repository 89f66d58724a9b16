#!/usr/bin/env node
// Runs a TypeScript entry file with tsx's loader: `node bin/run-ts.mjs path/to/file.ts [args...]`.
import { register } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

register();
registerCjs();
const [file, ...rest] = process.argv.slice(2);
process.argv = [process.argv[0], resolve(file), ...rest];
await import(pathToFileURL(resolve(file)).href);
