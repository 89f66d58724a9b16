import { dirname } from 'node:path';
import { resolveExperiment, type ExperimentInput, type ResolvedExperiment } from '../config/experiment';
import { loadExperiment } from '../config/load';
import { importPluginModules, type LoadedPluginModule, type PluginModuleSpec } from '../config/plugin-modules';
import { resolveWithSetFlags, type SetFlag } from '../config/set-flags';
import { modelSpecParser } from '../model/spec';
import type { Registry } from '../registry';
import { runFile } from './layout';
import { peekRunConfig, readRunConfig } from './record';

export interface LoadAndResolveOptions {
  registry: Registry;
  /** Extra plugin modules (`--plugin`), relative to the working directory. A fresh run records them in config.json. */
  plugins?: readonly string[];
  /** Warnings (a plugin module that changed since the run recorded it). Default: stderr. */
  warn?: (line: string) => void;
}

export interface Resolved {
  resolved: ResolvedExperiment;
  /** The experiment file, or the run's config.json. */
  source: string;
  /** The run folder, when one was opened. */
  runDir?: string;
  /** The plugin modules imported, as config.json records them. */
  modules: LoadedPluginModule[];
}

/**
 * Imports the plugin modules a run's config.json records, then `plugins`, without resolving the config: what a
 * report of the run needs (its config may predate a schema change and no longer resolve).
 */
export async function importRunPlugins(runDir: string, o: LoadAndResolveOptions): Promise<LoadedPluginModule[]> {
  const cfg = peekRunConfig(runDir) as { plugins?: PluginModuleSpec[] } | undefined;
  const where = `${runFile(runDir, 'config')}: plugins`;
  const recorded = await importPluginModules(Array.isArray(cfg?.plugins) ? cfg!.plugins! : [], {
    registry: o.registry,
    baseDir: runDir,
    where,
    warn: o.warn,
  });
  return [
    ...recorded,
    ...(await importPluginModules(o.plugins ?? [], {
      registry: o.registry,
      baseDir: process.cwd(),
      where: '--plugin',
      warn: o.warn,
    })),
  ];
}

export type ResolveTarget = { experiment: string; set?: readonly SetFlag[] } | { runDir: string };

/**
 * The one way into a run's configuration, for every process (run, resume, sweep trials, cluster tasks, report,
 * index, search, notebooks): an experiment file with its --set flags, or a run folder's config.json. Imports the
 * plugin modules it names (and `plugins`) into the registry first, then resolves every plugin id and config.
 */
export async function loadAndResolve(target: ResolveTarget, o: LoadAndResolveOptions): Promise<Resolved> {
  const extra = o.plugins ?? [];
  const cwd = process.cwd();
  if ('runDir' in target) {
    const { dir, cfgPath, cfg } = readRunConfig(target.runDir);
    const recorded = ((cfg as { plugins?: PluginModuleSpec[] } | undefined)?.plugins ?? []) as PluginModuleSpec[];
    const modules = await importPluginModules(recorded, {
      registry: o.registry,
      baseDir: dir,
      where: `${cfgPath}: plugins`,
      warn: o.warn,
    });
    modules.push(
      ...(await importPluginModules(extra, { registry: o.registry, baseDir: cwd, where: '--plugin', warn: o.warn })),
    );
    const resolved = resolveExperiment(cfg, o.registry, { source: cfgPath, modelSpec: modelSpecParser });
    return { resolved, source: cfgPath, runDir: dir, modules };
  }
  const { input, source, file } = await loadExperiment(target.experiment);
  const own = await importPluginModules(input.plugins ?? [], {
    registry: o.registry,
    baseDir: dirname(file),
    where: `${source}: plugins`,
    warn: o.warn,
  });
  const more = await importPluginModules(extra, {
    registry: o.registry,
    baseDir: cwd,
    where: '--plugin',
    warn: o.warn,
  });
  const modules = [...own, ...more.filter((m) => !own.some((x) => x.path === m.path))];
  const withModules: ExperimentInput = { ...input, ...(modules.length ? { plugins: modules } : {}) };
  const resolved = resolveWithSetFlags(withModules, source, target.set ?? [], o.registry, modelSpecParser);
  return { resolved, source, modules };
}
