import { extname } from 'node:path';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors';
import { jsonErrorLine, moduleLoadErrorLine, shownPath } from './load-error';

/**
 * The default export of a .ts/.js file (or the content of a .json file), with `source` = the path relative
 * to the working directory when inside it. Load failures are one line naming the file, line and column.
 */
export async function loadDefaultExport(file: string): Promise<{ raw: unknown; source: string }> {
  const source = shownPath(file);
  if (extname(file) === '.json') {
    const text = readFileSync(file, 'utf8');
    try {
      return { raw: JSON.parse(text), source };
    } catch (e) {
      throw new UserError(jsonErrorLine(source, text, e));
    }
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw new UserError(moduleLoadErrorLine(file, e));
  }
  // tsx/CommonJS interop may wrap the default export once more
  return { raw: (mod.default as { default?: unknown } | undefined)?.default ?? mod.default, source };
}
