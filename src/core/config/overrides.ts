import { UserError } from '../errors';

export type Overrides = Record<string, unknown>;

/** Parses the value of `--set path=value`: JSON when it parses (numbers, booleans, arrays), else a string. */
export function parseOverrideValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** `path=value` → [path, value]; one-line error otherwise. */
export function parseSetFlag(flag: string): [string, unknown] {
  const eq = flag.indexOf('=');
  if (eq <= 0)
    throw new UserError(`--set '${flag}': expected path=value, e.g. --set curriculum.stages.stage1.weights.alpha=0.5`);
  return [flag.slice(0, eq), parseOverrideValue(flag.slice(eq + 1))];
}

/**
 * Returns a copy of `obj` with the value at a dotted path replaced (`a.b[2].c` or `a.b.2.c`). Intermediate
 * objects are created when missing; indexing into a non-container is an error naming the path.
 */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const keys = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean);
  if (keys.length === 0) throw new UserError(`override '${path}': empty path`);
  const root = structuredClone(obj) as Record<string, unknown>;
  let cur: Record<string, unknown> = root;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) {
      cur[k] = value;
      return;
    }
    const next = cur[k];
    if (next === undefined || next === null) cur[k] = /^\d+$/.test(keys[i + 1]!) ? [] : {};
    else if (typeof next !== 'object') {
      throw new UserError(
        `override '${path}': '${keys.slice(0, i + 1).join('.')}' is ${JSON.stringify(next)}, not an object`,
      );
    }
    cur = cur[k] as Record<string, unknown>;
  });
  return root as T;
}

export function applyOverrides<T>(obj: T, overrides: Overrides): T {
  return Object.entries(overrides).reduce((o, [p, v]) => setPath(o, p, v), obj);
}

/** A value in a run id: strings as they are, a plugin ref `{id, ...}` as its id plus its other fields. */
function slugValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { id?: unknown }).id === 'string') {
    const { id, ...rest } = v as Record<string, unknown>;
    return [id as string, ...Object.entries(rest).map(([k, x]) => `${k}.${slugValue(x)}`)].join('.');
  }
  return JSON.stringify(v);
}

/** A short, file-name-safe run-id fragment for a set of overrides: `alpha=0.5-b=2`. */
export function overridesSlug(overrides: Overrides): string {
  const entries = Object.entries(overrides);
  const lastSeg = (p: string) => p.split('.').pop()!;
  const names = entries.map(([p]) => lastSeg(p));
  return entries
    .map(([p, v], i) => {
      // Use the full path where two overrides share a last segment.
      const name = names.indexOf(names[i]!) !== names.lastIndexOf(names[i]!) ? p : names[i]!;
      return `${name}=${slugValue(v)}`;
    })
    .join('-')
    .replace(/[^A-Za-z0-9=._-]+/g, '_');
}
