import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { UserError } from '../errors';
import { PLUGIN_KINDS, type AnyPlugin, type Registry } from '../registry';
import { moduleLoadErrorLine, shownPath } from './load-error';
import { installUnirResolution } from './unir-resolution';

/**
 * A plugin module as an experiment names it (`plugins: ['./my-plugins.ts', 'some-package']`), or as config.json
 * records it once loaded: the name as written, the file it resolved to and the sha256 of that file.
 */
export const PluginModuleSchema = z.union([
  z.string().min(1),
  z.strictObject({ module: z.string().min(1), path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
]);
export type PluginModuleSpec = z.output<typeof PluginModuleSchema>;
export type LoadedPluginModule = { module: string; path: string; sha256: string };

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const isPath = (m: string) => m.startsWith('.') || isAbsolute(m);

/** The file a module name resolves to: a path relative to `baseDir`, or a package resolved from there (or from the working directory). */
export function resolvePluginModule(module: string, baseDir: string, where: string): string {
  if (isPath(module)) {
    const file = resolve(baseDir, module);
    if (!existsSync(file))
      throw new UserError(
        `${where}: plugin module '${module}' not found (looked for ${shownPath(file)}); fix the path (relative to ${shownPath(baseDir) || '.'})`,
      );
    return file;
  }
  installUnirResolution();
  for (const from of [baseDir, process.cwd()]) {
    try {
      return createRequire(join(from, 'noop.js')).resolve(module);
    } catch {
      // next place
    }
  }
  throw new UserError(
    `${where}: plugin module '${module}' is neither a path ('./…') nor a package installed where ${shownPath(baseDir) || '.'} can import it; install it (npm i ${module}) or give its path`,
  );
}

const isPlugin = (x: unknown): x is AnyPlugin =>
  !!x &&
  typeof x === 'object' &&
  (PLUGIN_KINDS as readonly string[]).includes((x as AnyPlugin).kind) &&
  typeof (x as AnyPlugin).id === 'string' &&
  typeof (x as AnyPlugin).create === 'function';

/** The plugins a module exports: its default export (a plugin or a list of them) and every named export that is one. */
export function exportedPlugins(mod: Record<string, unknown>): AnyPlugin[] {
  const found = new Set<AnyPlugin>();
  const take = (x: unknown) => {
    if (isPlugin(x)) found.add(x);
    else if (Array.isArray(x)) x.filter(isPlugin).forEach((p) => found.add(p));
  };
  const def = mod.default as Record<string, unknown> | undefined;
  take(def);
  if (def && typeof def === 'object' && !isPlugin(def) && !Array.isArray(def))
    for (const v of Object.values(def)) take(v); // CommonJS interop
  for (const [k, v] of Object.entries(mod)) if (k !== 'default') take(v);
  return [...found];
}

export interface ImportPluginModulesOptions {
  registry: Registry;
  /** Where relative module paths start (the experiment file's folder). */
  baseDir: string;
  /** Prefix of error messages (e.g. `experiments/x.ts: plugins[0]`). */
  where: string;
  /** Where warnings go: a recorded module whose content changed since the run recorded it. */
  warn?: (line: string) => void;
}

const imported = new Map<string, Record<string, unknown>>();

/**
 * Imports plugin modules and registers every plugin they export in `registry`; returns each as config.json records
 * it (module, resolved path, content hash). A recorded module is imported from its recorded path; a changed hash is
 * a warning naming the module, a missing file a one-line error. A module is imported once per process.
 */
export async function importPluginModules(
  specs: readonly PluginModuleSpec[],
  o: ImportPluginModulesOptions,
): Promise<LoadedPluginModule[]> {
  const out: LoadedPluginModule[] = [];
  for (const [i, spec] of specs.entries()) {
    const where = `${o.where}[${i}]`;
    let entry: LoadedPluginModule;
    if (typeof spec === 'string') {
      const path = resolvePluginModule(spec, o.baseDir, where);
      entry = { module: spec, path, sha256: sha256(path) };
    } else {
      if (!existsSync(spec.path)) {
        throw new UserError(
          `${where}: plugin module '${spec.module}' is gone from ${spec.path}, where the run recorded it; restore it there, or pass its new place with --plugin`,
        );
      }
      entry = { module: spec.module, path: spec.path, sha256: sha256(spec.path) };
      if (entry.sha256 !== spec.sha256) {
        (o.warn ?? ((l) => process.stderr.write(`${l}\n`)))(
          `unir: warning: plugin module '${spec.module}' (${spec.path}) changed since the run recorded it (sha256 ${spec.sha256.slice(0, 12)} → ${entry.sha256.slice(0, 12)}); its plugins may not behave as they did`,
        );
      }
    }
    if (out.some((e) => e.path === entry.path)) continue;
    let mod = imported.get(entry.path);
    if (!mod) {
      installUnirResolution();
      try {
        mod = (await import(pathToFileURL(entry.path).href)) as Record<string, unknown>;
      } catch (e) {
        if (e instanceof UserError) throw new UserError(`${where} (${entry.module}): ${e.message}`, e.exitCode);
        throw new UserError(`${where}: ${moduleLoadErrorLine(entry.path, e)}`);
      }
      imported.set(entry.path, mod);
    }
    const plugins = exportedPlugins(mod);
    if (!plugins.length) {
      throw new UserError(
        `${where}: plugin module '${entry.module}' exports no plugin; export them (export const myLoss = defineLoss({...}), or export default [a, b])`,
      );
    }
    for (const p of plugins) if (o.registry.list(p.kind).find((q) => q.id === p.id) !== p) o.registry.register(p);
    out.push(entry);
  }
  return out;
}
