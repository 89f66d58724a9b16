// The unir manifest format (data-cards/FORMAT.md): JSON Lines, one record per line, relevance = same `group`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors';
import { datasetCacheDir } from './cache-dir';
import { imageProblem, mapPool } from './images';
import { languageCodeProblem } from './language-codes';
import { checkSlots, zodProblems, type CharSlot, type FieldProblem, type ManifestProblem } from './manifest-problems';

export { formatProblem, type CharSlot, type ManifestProblem } from './manifest-problems';

/** train, val, test and test-<name> variants (e.g. test-unseen). */
export const SPLIT_RE = /^(train|val|test)(-[a-z0-9]+)?$/;
/** Intents and slot labels. */
export const LABEL_RE = /^[a-z][a-z0-9_]*$/;
/** Query subsets (e.g. seen, held-out): also a key of metrics.json bySubset and part of stored task names. */
export const SUBSET_RE = /^[a-z][a-z0-9_-]*$/;
export const RECORD_TYPES = ['header', 'image', 'text', 'query'] as const;

const check = (problem: (v: string) => string | undefined) =>
  z.string().superRefine((v, ctx) => {
    const message = problem(v);
    if (message) ctx.addIssue({ code: 'custom', message });
  });
const id = z.string().min(1);
const group = z.string().min(1);
const split = check((s) =>
  SPLIT_RE.test(s)
    ? undefined
    : `invalid split '${s}'; use train, val, test or test-<name> (a-z, 0-9), e.g. test-unseen`,
);
const lang = check(languageCodeProblem);
const label = (what: string) =>
  check((s) =>
    LABEL_RE.test(s)
      ? undefined
      : `invalid ${what} '${s}'; use lower case a-z, 0-9 and _ starting with a letter (e.g. find_image)`,
  );
const offset = z.number().int().min(0);

export const HeaderRecordSchema = z.looseObject({
  type: z.literal('header'),
  name: z.string().min(1).describe('dataset name'),
  version: z.string().optional().describe('build version of the data'),
  languages: z.array(lang).optional().describe('every lang used by records must be listed'),
  intents: z.array(label('intent')).optional(),
  slotLabels: z.array(label('slot label')).optional(),
});

export const ImageRecordSchema = z.strictObject({
  type: z.literal('image'),
  id,
  group,
  split,
  path: check((p) => (isAbsolute(p) ? 'must be relative to the manifest directory' : undefined)).describe(
    'relative to the manifest directory',
  ),
  family: z.string().min(1).optional().describe('design family / source, e.g. google'),
});

export const TextRecordSchema = z.strictObject({
  type: z.literal('text'),
  id,
  group,
  split,
  lang,
  role: z
    .enum(['caption', 'chunk'])
    .describe('caption: short, pairs with images; chunk: a passage for text→text retrieval'),
  text: z.string().min(1),
});

export const SlotSchema = z.strictObject({
  label: label('slot label'),
  start: offset.optional().describe('UTF-16 offset into text'),
  end: offset.optional().describe('exclusive'),
  startWord: offset.optional().describe('index into segmentWords(text, lang)'),
  endWord: offset.optional().describe('exclusive'),
});

export const QueryRecordSchema = z.strictObject({
  type: z.literal('query'),
  id,
  group: group.nullable().describe('null: the intent needs no retrieval'),
  split,
  lang,
  text: z.string().min(1),
  intent: label('intent'),
  slots: z.array(SlotSchema).default([]),
  semanticText: z.string().describe('the query with the noise removed'),
  subset: check((s) =>
    SUBSET_RE.test(s)
      ? undefined
      : `invalid subset '${s}'; use lower case a-z, 0-9, _ and - starting with a letter (e.g. held-out)`,
  )
    .optional()
    .describe('an evaluation subset name; metrics are also reported per subset'),
});

export type HeaderRecord = z.output<typeof HeaderRecordSchema>;
export type ImageRecord = z.output<typeof ImageRecordSchema> & { line: number };
export type TextRecord = z.output<typeof TextRecordSchema> & { line: number };
/** A query with its slots normalised to char offsets. */
export type QueryRecord = Omit<z.output<typeof QueryRecordSchema>, 'slots'> & { slots: CharSlot[]; line: number };
export type ManifestRecord = ImageRecord | TextRecord | QueryRecord;

const SCHEMAS = {
  header: HeaderRecordSchema,
  image: ImageRecordSchema,
  text: TextRecordSchema,
  query: QueryRecordSchema,
} as const;

export interface ParseManifestOptions {
  /** Check that every image file exists and decodes (sharp). Default true. */
  checkImages?: boolean;
  /** Images decoded at once. Default 4. */
  concurrency?: number;
  /**
   * A folder image paths may also resolve into (relative to the working directory), for datasets whose
   * images sit beside or above the manifest's folder. Default: only the manifest's folder.
   */
  imageRoot?: string;
}

export interface ParsedManifest {
  file: string; // as given
  root: string; // absolute directory of the manifest: image paths are relative to it
  header?: HeaderRecord;
  records: ManifestRecord[]; // the records without problems, in file order
  problems: ManifestProblem[]; // every problem, by line
  lines: number; // non-blank lines
}

/**
 * Reads and validates a manifest, reporting ALL problems (one per offending field) instead of stopping at
 * the first. A missing or unreadable file throws a UserError; everything inside it becomes a problem.
 */
export async function parseManifest(file: string, opts: ParseManifestOptions = {}): Promise<ParsedManifest> {
  if (!existsSync(file))
    throw new UserError(`${file}: manifest not found; give the path of a manifest.jsonl (see data-cards/FORMAT.md)`);
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${file}: cannot read manifest: ${(e as Error).message.split('\n')[0]}`);
  }
  const root = dirname(resolve(file));
  const allowed = [root, ...(opts.imageRoot ? [resolve(opts.imageRoot)] : [])];
  if (opts.imageRoot && !existsSync(allowed[1]!))
    throw new UserError(
      `imageRoot '${opts.imageRoot}': no such folder; give the folder that holds the dataset's images`,
    );
  const cache = cleanParseCache(file, content, allowed);
  let parsed = cache.read();
  if (!parsed) {
    parsed = parseLines(file, content, root, allowed, opts.imageRoot);
    if (parsed.problems.length === 0 && parsed.lines > 0) cache.write(parsed);
  }
  const { header, records, problems, lines } = parsed;
  if (opts.checkImages ?? true) {
    const images = records.filter((r): r is ImageRecord => r.type === 'image');
    const bad = await mapPool(images, opts.concurrency ?? 4, async (r) => {
      const abs = resolve(root, r.path);
      if (!existsSync(abs)) return `file not found: ${r.path}`;
      const why = await imageProblem(abs);
      return why && `cannot decode ${r.path} as an image: ${why}`;
    });
    const dropped = new Set<ImageRecord>();
    images.forEach((r, k) => {
      const message = bad[k];
      if (!message) return;
      problems.push({ file, line: r.line, field: 'path', message, kind: 'image' });
      dropped.add(r);
    });
    if (dropped.size) records.splice(0, records.length, ...records.filter((r) => !dropped.has(r as ImageRecord)));
  }
  problems.sort((a, b) => a.line - b.line); // stable: a line's problems keep their order
  return { file, root, header, records, problems, lines };
}

/** Every line of a manifest checked against its record's schema: the records without problems, and the problems. */
function parseLines(
  file: string,
  content: string,
  root: string,
  allowed: readonly string[],
  imageRoot: string | undefined,
): Omit<ParsedManifest, 'file' | 'root'> {
  const problems: ManifestProblem[] = [];
  const records: ManifestRecord[] = [];
  const firstLineOfId = new Map<string, number>();
  let header: HeaderRecord | undefined;
  let lines = 0;
  content
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((text, i) => {
      if (!text.trim()) return;
      const line = i + 1;
      const first = ++lines === 1;
      const report = (ps: readonly FieldProblem[]) =>
        ps.forEach((p) => problems.push({ file, line, ...p, kind: 'record' }));
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        return report([{ field: 'json', message: 'not valid JSON; write one JSON object per line' }]);
      }
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        return report([
          {
            field: 'json',
            message: `expected a JSON object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`}`,
          },
        ]);
      }
      const obj = raw as Record<string, unknown>;
      const type = obj.type;
      if (typeof type !== 'string' || !(RECORD_TYPES as readonly string[]).includes(type)) {
        const got =
          type === undefined
            ? 'missing'
            : `unknown record type ${typeof type === 'string' ? `'${type}'` : JSON.stringify(type)}`;
        return report([{ field: 'type', message: `${got}; use one of ${RECORD_TYPES.join(', ')}` }]);
      }
      const schema = SCHEMAS[type as keyof typeof SCHEMAS];
      const parsed = schema.safeParse(obj, { reportInput: true });
      const ps: FieldProblem[] = parsed.success
        ? []
        : zodProblems(parsed.error.issues, (path) => knownKeys(type, path));
      for (const p of ps)
        if (type === 'query' && p.field === 'group' && p.message.startsWith('missing'))
          p.message = 'missing; expected a string, or null when the intent needs no retrieval';
      if (type === 'header') {
        if (!first) ps.unshift({ field: 'type', message: 'a header is allowed only as the first line' });
        else if (parsed.success) header = parsed.data as HeaderRecord;
        return report(ps);
      }
      if (typeof obj.id === 'string' && obj.id) {
        const prev = firstLineOfId.get(obj.id);
        if (prev !== undefined) ps.push({ field: 'id', message: `duplicate id '${obj.id}' (first on line ${prev})` });
        else firstLineOfId.set(obj.id, line);
      }
      if (header) ps.push(...headerProblems(header, obj, ps));
      if (type === 'image' && parsed.success)
        ps.push(...escapeProblems((parsed.data as { path: string }).path, root, allowed, imageRoot));
      let slots: CharSlot[] = [];
      if (
        type === 'query' &&
        typeof obj.text === 'string' &&
        Array.isArray(obj.slots) &&
        !ps.some((p) => p.field === 'text')
      ) {
        const badSlots = new Set(
          ps
            .map((p) => /^slots\[(\d+)\]/.exec(p.field)?.[1])
            .filter((x) => x !== undefined)
            .map(Number),
        );
        const r = checkSlots(obj.text, typeof obj.lang === 'string' ? obj.lang : 'und', obj.slots as never[], badSlots);
        ps.push(...r.problems);
        slots = r.slots;
      }
      report(ps);
      if (ps.length === 0 && parsed.success) {
        const rec = { ...(parsed.data as object), line } as ManifestRecord;
        if (rec.type === 'query') rec.slots = slots;
        records.push(rec);
      }
    });
  if (lines === 0)
    problems.push({
      file,
      line: 1,
      field: 'file',
      message: 'no records; a manifest needs image, text or query lines',
      kind: 'record',
    });
  return { header, records, problems, lines };
}

// The sources whose checks decide what a clean parse holds: a cached parse is served only to the code that made it.
const CHECKS_SOURCE = (() => {
  const ext = extname(__filename);
  try {
    return createHash('sha1')
      .update(
        ['manifest-schema', 'manifest-problems', 'language-codes']
          .map((m) => readFileSync(join(dirname(__filename), m + ext), 'utf8'))
          .join('\0'),
      )
      .digest('hex');
  } catch {
    return ''; // sources not beside the module: nothing is cached
  }
})();
const CLEAN_PARSE_VERSION = 1;

/**
 * The line checks' result for a manifest without problems, kept in its dataset cache folder (parsed.json): the
 * schema checks of a 185,000-line manifest take ≈ 2 s, reading their result ≈ 0.6 s. Keyed by the manifest's bytes,
 * its folder and imageRoot, and the checks' own sources; any other content, a problem or an unreadable entry parses
 * the lines again. Image files are checked on every load (checkImages), never cached here.
 */
function cleanParseCache(file: string, content: string, allowed: readonly string[]) {
  const path = join(datasetCacheDir({ manifestPath: file }), 'parsed.json');
  const key = CHECKS_SOURCE
    ? createHash('sha1')
        .update(`${CLEAN_PARSE_VERSION}\0${CHECKS_SOURCE}\0${allowed.join('\0')}\0`)
        .update(content)
        .digest('hex')
    : '';
  type Clean = Pick<ParsedManifest, 'header' | 'records' | 'lines'>;
  return {
    read(): (Clean & { problems: ManifestProblem[] }) | undefined {
      if (!key || !existsSync(path)) return undefined;
      try {
        const text = readFileSync(path, 'utf8');
        const nl = text.indexOf('\n');
        if (text.slice(0, nl) !== JSON.stringify({ key })) return undefined;
        const clean = JSON.parse(text.slice(nl + 1)) as Clean;
        return Array.isArray(clean.records) && typeof clean.lines === 'number' ? { ...clean, problems: [] } : undefined;
      } catch {
        return undefined; // a partial or foreign file: parse again (and replace it)
      }
    },
    write(clean: Clean): void {
      if (!key) return;
      try {
        mkdirSync(dirname(path), { recursive: true });
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, `${JSON.stringify({ key })}\n${JSON.stringify(clean)}`);
        renameSync(tmp, path); // whole or not at all: a reader never sees half a file
      } catch {
        // an unwritable cache: the next load parses again
      }
    },
  };
}

/** An image path that leads outside the manifest's folder (and imageRoot) once `..` is resolved; never opened. */
function escapeProblems(
  path: string,
  root: string,
  allowed: readonly string[],
  imageRoot: string | undefined,
): FieldProblem[] {
  if (isAbsolute(path)) return []; // the schema's own problem
  const abs = resolve(root, path);
  const inside = (dir: string) => {
    const rel = relative(dir, abs);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  if (allowed.some(inside)) return [];
  const where = imageRoot ? `the manifest's folder and imageRoot '${imageRoot}'` : `the manifest's folder ${root}`;
  return [
    {
      field: 'path',
      message: `'${path}' leads outside ${where}; keep images inside, or allow the folder that holds them with the dataset option imageRoot (unir data validate --image-root DIR)`,
    },
  ];
}

function knownKeys(type: string, path: readonly PropertyKey[]): string[] {
  if (type === 'query' && path[0] === 'slots') return Object.keys(SlotSchema.shape);
  return Object.keys(SCHEMAS[type as keyof typeof SCHEMAS].shape).filter((k) => k !== 'type');
}

/** A header that declares languages / intents / slotLabels makes them closed lists. */
function headerProblems(
  h: HeaderRecord,
  obj: Record<string, unknown>,
  already: readonly FieldProblem[],
): FieldProblem[] {
  const out: FieldProblem[] = [];
  const isBad = (field: string) => already.some((p) => p.field === field);
  const member = (field: string, value: unknown, list: readonly string[] | undefined, what: string) => {
    if (list && typeof value === 'string' && !isBad(field) && !list.includes(value)) {
      out.push({
        field,
        message: `'${value}' is not among the header's ${what} (${list.join(', ')}); add it to the header or fix this record`,
      });
    }
  };
  member('lang', obj.lang, h.languages, 'languages');
  if (obj.type === 'query') {
    member('intent', obj.intent, h.intents, 'intents');
    if (Array.isArray(obj.slots))
      obj.slots.forEach((s, i) =>
        member(`slots[${i}].label`, (s as { label?: unknown } | null)?.label, h.slotLabels, 'slotLabels'),
      );
  }
  return out;
}
