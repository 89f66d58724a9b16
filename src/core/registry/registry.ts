import { z } from 'zod';
import { UserError, didYouMean } from '../errors';
import { PLUGIN_KINDS, type AnyPlugin, type InstanceOf, type PluginKind, type PluginOf } from './plugin';

export interface RegistryOptions {
  /** Where re-registration warnings go (a notebook re-running a cell). */
  warn?: (message: string) => void;
}

/** One registry for every plugin kind. Built-ins are registered by src/plugins/index.ts. */
export class Registry {
  private readonly byKind = new Map<PluginKind, Map<string, AnyPlugin>>(PLUGIN_KINDS.map((k) => [k, new Map()]));
  private readonly warn: (message: string) => void;

  constructor(opts: RegistryOptions = {}) {
    this.warn = opts.warn ?? ((m) => console.warn(m));
  }

  /** Registers a plugin; the same id again replaces the old one with a warning. */
  register<P extends AnyPlugin>(plugin: P): P {
    const kind = plugin.kind;
    if (!PLUGIN_KINDS.includes(kind)) {
      throw new UserError(`register: unknown plugin kind '${String(kind)}'. Known kinds: ${PLUGIN_KINDS.join(', ')}`);
    }
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(plugin.id)) {
      throw new UserError(`register: ${kind} id '${plugin.id}' must be kebab-case (a-z, 0-9, '-')`);
    }
    const table = this.byKind.get(kind)!;
    if (table.has(plugin.id) && table.get(plugin.id) !== plugin) {
      this.warn(
        `unir: ${kind} '${plugin.id}' re-registered; the new definition replaces the old one (notebook re-run?)`,
      );
    }
    table.set(plugin.id, plugin);
    return plugin;
  }

  has(kind: PluginKind, id: string): boolean {
    return this.byKind.get(kind)?.has(id) ?? false;
  }

  /** The plugin of that kind (typed by kind: `get('loss', id)` is a LossPlugin), or a UserError listing the known ids with a "did you mean". */
  get<K extends PluginKind>(kind: K, id: string, where?: string): PluginOf<K> {
    const table = this.byKind.get(kind);
    if (!table) throw new UserError(`unknown plugin kind '${kind}'. Known kinds: ${PLUGIN_KINDS.join(', ')}`);
    const p = table.get(id);
    if (p) return p as unknown as PluginOf<K>;
    const known = [...table.keys()].sort();
    const hint = didYouMean(id, known);
    const at = where ? `${where}: ` : '';
    throw new UserError(
      `${at}unknown ${kind} '${id}'. Known: ${known.join(', ') || '(none)'}.${hint ? ` Did you mean '${hint}'?` : ''}`,
    );
  }

  /** The plugins of a kind in the order they were registered (built-ins first, in their lists' order). */
  registered<K extends PluginKind>(kind: K): PluginOf<K>[] {
    return [...this.byKind.get(kind)!.values()] as unknown as PluginOf<K>[];
  }

  /** The plugins of a kind (typed by kind), or of every kind, sorted by id. */
  list<K extends PluginKind>(kind: K): PluginOf<K>[];
  list(): AnyPlugin[];
  list(kind?: PluginKind): AnyPlugin[] {
    const kinds = kind ? [kind] : PLUGIN_KINDS;
    return kinds.flatMap((k) => [...this.byKind.get(k)!.values()].sort((a, b) => a.id.localeCompare(b.id)));
  }

  /**
   * Parses a plugin config (defaults filled in); errors carry `where` + the bad field path. A key the plugin's
   * object schema does not declare is an error even where the schema would strip it (z.object): a typo such as
   * `temprature` must not be ignored.
   */
  parseConfig(kind: PluginKind, id: string, config: unknown, where = `${kind}`): unknown {
    const p = this.get(kind, id, where) as AnyPlugin;
    const extra = undeclaredKeys(p.configSchema, config);
    if (extra.length) {
      const known = Object.keys((p.configSchema as unknown as z.ZodObject).shape);
      const lower = extra[0]!.toLowerCase();
      const hint =
        didYouMean(extra[0]!, known) ??
        known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
      throw new UserError(
        `${where}.${extra[0]}: unknown field of ${kind} '${id}'; its fields: ${known.join(', ') || '(none)'}${hint ? `. Did you mean '${hint}'?` : ''}`,
      );
    }
    const r = p.configSchema.safeParse(config ?? {});
    if (!r.success) throw new UserError(formatZodError(r.error, where));
    return r.data;
  }

  /** Config defaults of a plugin (its schema parsed on `{}`). */
  defaults(p: AnyPlugin): unknown {
    const r = p.configSchema.safeParse({});
    return r.success ? r.data : undefined;
  }

  /** Parses the config and calls the factory: what it returns is the kind's contract (InstanceOf<K>). */
  create<K extends PluginKind>(kind: K, id: string, config: unknown, ctx?: unknown, where?: string): InstanceOf<K> {
    const parsed = this.parseConfig(kind, id, config, where);
    return (this.get(kind, id, where) as AnyPlugin).create(parsed, ctx) as InstanceOf<K>;
  }
}

/** Keys of `config` that a strip-mode object schema (z.object: neither strict nor loose) would drop silently. */
function undeclaredKeys(schema: z.ZodType, config: unknown): string[] {
  if (!(schema instanceof z.ZodObject) || schema.def.catchall !== undefined) return [];
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return [];
  return Object.keys(config).filter((k) => !(k in schema.shape));
}

/**
 * `a.b[2].c: message` for the first issue (the one a user fixes first), prefixed by `where`. An unknown key is
 * named in the path (`data.epochs: unknown field; valid fields here: …`), with the fields of its object and a
 * did-you-mean (the zod error map below writes that message).
 */
export function formatZodError(err: z.ZodError, where?: string): string {
  const issue = err.issues[0]!;
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = formatPath(unknownKey === undefined ? issue.path : [...issue.path, unknownKey]);
  const head = [where, path].filter(Boolean).join(path && where ? '.' : '');
  const more = err.issues.length > 1 ? ` (+${err.issues.length - 1} more)` : '';
  const message =
    unknownKey !== undefined && !issue.message.startsWith('unknown field') ? UNKNOWN_FIELD_FIX : issue.message;
  return `${head || 'config'}: ${message}${more}`;
}

const UNKNOWN_FIELD_FIX = 'unknown field; remove it or correct its name';

/**
 * The message of an unknown key in a strict object, for every zod schema of the process (zod's global error map;
 * other issues keep zod's own messages): the valid fields of that object and the closest one, or the fix.
 * formatZodError puts the key itself in the path.
 */
function unknownKeysMessage(iss: { code?: string; keys?: string[]; inst?: unknown }): string | undefined {
  if (iss.code !== 'unrecognized_keys' || !iss.keys?.length) return undefined;
  const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  const known = shape ? Object.keys(shape) : [];
  const [key, ...rest] = iss.keys;
  const also = rest.length ? ` (also unknown: ${rest.join(', ')})` : '';
  if (!known.length) return `unknown field${also}; remove it or correct its name`;
  const lower = key!.toLowerCase();
  const hint =
    didYouMean(key!, known) ??
    known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
  return `unknown field${also}; valid fields here: ${known.join(', ')}; ${hint ? `did you mean '${hint}'?` : 'remove it or correct its name'}`;
}

const INSTALLED = Symbol.for('unir.zodUnknownKeys');
const zodConfig = z.config() as Record<PropertyKey, unknown> & { customError?: (iss: unknown) => unknown };
if (!zodConfig[INSTALLED]) {
  const previous = zodConfig.customError;
  z.config({
    customError: (iss) =>
      unknownKeysMessage(iss as Parameters<typeof unknownKeysMessage>[0]) ?? (previous?.(iss) as string | undefined),
  });
  zodConfig[INSTALLED] = true;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += (out ? '.' : '') + String(seg);
  }
  return out;
}
