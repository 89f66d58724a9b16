import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The stack, top to bottom: an area may import its own layer and the ones below, never one above. Areas are
 * src/cli, src/notebook, src/plugins and each folder (or top-level file) of src/core.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['cli', 'notebook', 'index', 'plugin'],
  ['core/search', 'core/umap'],
  ['plugins', 'core/train'],
  ['core/store', 'core/sweep', 'core/results'],
  ['core/report'],
  ['core/eval', 'core/model', 'core/pretrained', 'core/run'],
  ['core/data', 'core/nn', 'core/augment', 'core/index', 'core/checkpoint'],
  ['core/config', 'core/loss', 'core/optim', 'core/text'],
  ['core/backend', 'core/registry', 'core/errors', 'core/paths', 'core/fs-atomic', 'core/rng', 'core/jupyter'],
];
const level = new Map(LAYERS.flatMap((areas, i) => areas.map((a) => [a, LAYERS.length - i] as const)));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|js|cjs|mjs)$/.test(p) && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** `core/train` for src/core/train/x.ts, `core/rng` for src/core/rng.ts, `cli` for src/cli/…, `index` for src/index.ts. */
function area(file: string): string {
  const parts = relative('src', file).split('/');
  const strip = (s: string) => s.replace(/\.(ts|js|cjs|mjs)$/, '');
  if (parts[0] === 'core') return `core/${strip(parts[1]!)}`;
  return strip(parts[0]!);
}

/** Relative imports of a source file (static, dynamic and require), resolved to paths. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) =>
    resolve(dirname(file), m[1]!),
  );
}

describe('the import graph of src/', () => {
  it('places every area of src/ in a layer', () => {
    const unplaced = [...new Set(files('src').map(area))].filter((a) => !level.has(a));
    expect(unplaced).toEqual([]);
  });

  it('has no import that points up the stack', () => {
    const upward: string[] = [];
    for (const f of files('src')) {
      const from = area(f);
      for (const target of imports(f)) {
        const to = area(relative(process.cwd(), target));
        if ((level.get(to) ?? 0) > (level.get(from) ?? 0))
          upward.push(`${relative('src', f)} (${from}) → ${relative('src', target)} (${to})`);
      }
    }
    expect(upward).toEqual([]);
  });
});
