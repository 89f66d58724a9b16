import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../../../src/core/config/load';

const tmp = mkdtempSync(join(tmpdir(), 'unir-load-error-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const errorOf = (p: string) =>
  loadExperiment(p).then(
    () => 'loaded',
    (e: Error) => e.message,
  );
const RUN_TS = relative(process.cwd(), resolve('bin/run-ts.mjs'));

describe('an experiment file that does not load: file:line:column and the message, one line', () => {
  // Under vitest the file goes through vite's compiler (oxc); the CLI's own (tsx/esbuild) is checked by test/bad-input.
  it("a syntax error: the compiler's location (1-based column) and message, not 'Transform failed'", async () => {
    const p = file('syntax.ts', "export default {\n  id: 'x',\n  seed: 1,,\n};\n");
    expect(await errorOf(p)).toBe(`${p}:3:11: Unexpected token; fix the syntax there`);
  });

  it('an error thrown while the file runs: its line in the file, and a command that shows the trace from this directory', async () => {
    const p = file('throws.ts', "const n: number = 1;\nthrow new Error('no data for ' + n);\nexport default {};\n");
    expect(await errorOf(p)).toMatch(
      new RegExp(
        `^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: cannot load: no data for 1; fix the file \\('node ${RUN_TS} ${p}' shows the full trace\\)$`,
      ),
    );
    const imp = file('import.ts', "import { nope } from './nowhere';\nexport default nope;\n");
    expect(await errorOf(imp)).toMatch(
      new RegExp(
        `^${imp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:1:1)?: cannot load: Cannot find module .*nowhere.*; fix the file \\('node .*run-ts\\.mjs .*' shows the full trace\\)$`,
      ),
    );
  });

  it('JSON: the line and column where parsing stopped', async () => {
    const p = file('bad.json', '{\n  "id": "x",\n  "seed": 1,\n}\n');
    expect(await errorOf(p)).toBe(
      `${p}: not valid JSON at line 4, column 1 (Expected double-quoted property name); fix it there`,
    );
  });
});
