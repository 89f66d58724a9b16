import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/notebook/api';

describe('src/notebook/index.d.ts', () => {
  it('declares exactly the values api.ts exports (tslab cells see the .d.ts, run the .ts)', () => {
    const dts = readFileSync('src/notebook/index.d.ts', 'utf8');
    const declared = [
      ...dts.matchAll(/^export (?:declare (?:const|function|class) (\w+)|\* as (\w+) from|\{ (\w+) \} from)/gm),
    ].map((m) => (m[1] ?? m[2] ?? m[3])!);
    expect([...new Set(declared)].sort()).toEqual(Object.keys(api).sort());
  });
});
