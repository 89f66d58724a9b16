#!/usr/bin/env node
// The `unir` command: loads the TypeScript CLI through tsx (no build step).
import { register } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';

register();
registerCjs();
const mod = await import('../src/cli/main.ts');
const { main } = mod.main ? mod : mod.default;
process.exitCode = await main(process.argv.slice(2));
