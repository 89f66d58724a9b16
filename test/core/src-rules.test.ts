import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * src/ is CommonJS (src/package.json) because tslab notebooks compile and require it: a module that uses
 * import.meta or declares its own `require` is taken for ES module syntax by Node and fails to load there.
 */
function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('src/ stays loadable from tslab notebooks', () => {
  it('no import.meta, no __dirname (tsx misreports it; use REPO_ROOT), no top-level `const require`, no top-level await', () => {
    const offenders: string[] = [];
    for (const f of tsFiles('src')) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\/\/|\*|\/\*)/.test(line)) return; // comments may name what they avoid
          if (
            /import\.meta|\b__dirname\b/.test(line) ||
            /^(const|let|var) require\b/.test(line) ||
            /^(const .*= )?await /.test(line)
          )
            offenders.push(`${f}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
