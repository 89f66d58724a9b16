import Module, { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, repoPath } from '../paths';

/** What `unir` and `unir/<entry>` name, for modules outside this checkout (package.json "exports" says the same). */
export const UNIR_ENTRIES: Record<string, string> = {
  unir: repoPath('src/index.ts'),
  'unir/plugin': repoPath('src/plugin.ts'),
};

let installed = false;

/**
 * Lets plugin modules anywhere on disk import this checkout as `unir` / `unir/plugin` (no deep relative paths, no
 * install): CommonJS requires through Module._resolveFilename, ES imports through a module.register resolve hook.
 */
export function installUnirResolution(): void {
  if (installed) return;
  installed = true;
  const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = M._resolveFilename;
  M._resolveFilename = function (request: string, ...rest: unknown[]) {
    return original.call(this, UNIR_ENTRIES[request] ?? request, ...rest);
  };
  // ES modules import the CommonJS entries through a wrapper that names every export (Node cannot see the names of
  // a compiled re-export), loading them with this process's require: the same module instances as unir's own.
  const requireHere = createRequire(`${REPO_ROOT}/`);
  const map = Object.fromEntries(
    Object.entries(UNIR_ENTRIES).map(([k, file]) => {
      const names = Object.keys(requireHere(file) as object).filter(
        (n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default',
      );
      const src = `import { createRequire } from 'node:module';
const m = createRequire(${JSON.stringify(`${REPO_ROOT}/`)})(${JSON.stringify(file)});
${names.map((n) => `export const ${n} = m.${n};`).join('\n')}
export default m;`;
      return [k, `data:text/javascript,${encodeURIComponent(src)}`];
    }),
  );
  const hook = `const map = ${JSON.stringify(map)};
export async function resolve(specifier, context, next) {
  return map[specifier] ? { url: map[specifier], shortCircuit: true } : next(specifier, context);
}`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`, pathToFileURL(`${REPO_ROOT}/`).href);
}
