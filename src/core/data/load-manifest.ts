import { basename, resolve } from 'node:path';
import { UserError } from '../errors';
import { createDataset, type Dataset } from './dataset';
import {
  formatProblem,
  parseManifest,
  type ManifestProblem,
  type ManifestRecord,
  type ParsedManifest,
} from './manifest-schema';

export interface LoadManifestOptions {
  /** Check that every image exists and decodes. Default true. */
  checkImages?: boolean;
  /** Drop images that are missing or do not decode (each becomes a warning) instead of failing. Default false. */
  skipBadImages?: boolean;
  /** Keep only texts and queries in these languages (each must be in the dataset). Default: all. */
  languages?: readonly string[];
  /** Images checked at once. Default 4. */
  concurrency?: number;
  /** A folder image paths may also resolve into (parseManifest's imageRoot). Default: only the manifest's folder. */
  imageRoot?: string;
  log?: (line: string) => void;
}

/**
 * Problems of the manifest as a whole that no line has: a header without any record after it ("0 records, 0
 * problems" would pass it, and a run would then fail on a missing split).
 */
export function wholeManifestProblems(
  m: Pick<ParsedManifest, 'file' | 'header' | 'records' | 'problems'>,
): ManifestProblem[] {
  if (m.records.length > 0 || m.problems.length > 0 || !m.header) return [];
  return [
    {
      file: m.file,
      line: 1,
      field: 'file',
      message: 'only a header, no records; add image, text and query lines after it (see data-cards/FORMAT.md)',
      kind: 'record',
    },
  ];
}

function failWith(file: string, problems: readonly ManifestProblem[]): never {
  const more =
    problems.length > 1 ? ` (+${problems.length - 1} more; 'unir data validate ${file}' lists them all)` : '';
  throw new UserError(`${formatProblem(problems[0]!)}${more}`);
}

/**
 * Loads and validates a manifest into a Dataset. Any problem → UserError with the first `file:line: field:
 * problem` and the count of the rest; with skipBadImages, image-file problems become warnings instead.
 */
export async function loadManifestDataset(path: string, opts: LoadManifestOptions = {}): Promise<Dataset> {
  const parsed = await parseManifest(path, {
    checkImages: opts.checkImages,
    concurrency: opts.concurrency,
    imageRoot: opts.imageRoot,
  });
  const fatal = [
    ...parsed.problems.filter((p) => !(opts.skipBadImages && p.kind === 'image')),
    ...wholeManifestProblems(parsed),
  ];
  if (fatal.length) failWith(path, fatal);
  const warnings = parsed.problems.filter((p) => p.kind === 'image').map(formatProblem);
  if (warnings.length) opts.log?.(`unir: skipped ${warnings.length} bad image(s) in ${path}; first: ${warnings[0]}`);
  let records: readonly ManifestRecord[] = parsed.records;
  let header = parsed.header;
  if (opts.languages) {
    const all = header?.languages ?? [...new Set(records.flatMap((r) => (r.type === 'image' ? [] : [r.lang])))].sort();
    for (const lang of opts.languages) {
      if (!all.includes(lang)) {
        throw new UserError(`languages: '${lang}' is not in ${path}. It has: ${all.join(', ')}`);
      }
    }
    const keep = new Set(opts.languages);
    records = records.filter((r) => r.type === 'image' || keep.has(r.lang));
    header = header && { ...header, languages: all.filter((l) => keep.has(l)) };
  }
  return createDataset({
    name: header?.name ?? basename(parsed.root),
    root: parsed.root,
    manifestPath: resolve(path),
    header,
    records,
    warnings,
    skipBadImages: opts.skipBadImages ?? false,
  });
}
