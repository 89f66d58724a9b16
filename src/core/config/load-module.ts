import { extname, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors';

/**
 * The default export of a .ts/.js file (or the content of a .json file), with `source` = the path relative
 * to the working directory when inside it. Load failures are one line naming the file.
 */
export async function loadDefaultExport(file: string): Promise<{ raw: unknown; source: string }> {
  const rel = relative(process.cwd(), file);
  const source = rel.startsWith('..') ? file : rel;
  if (extname(file) === '.json') {
    try {
      return { raw: JSON.parse(readFileSync(file, 'utf8')), source };
    } catch (e) {
      throw new UserError(`${source}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
    }
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw new UserError(`${source}: cannot load (${(e as Error).message.split('\n')[0]}); fix the file or run it with 'node bin/run-ts.mjs ${source}' to see the error`);
  }
  // tsx/CommonJS interop may wrap the default export once more
  return { raw: (mod.default as { default?: unknown } | undefined)?.default ?? mod.default, source };
}
