import { isAbsolute, relative, resolve } from 'node:path';
import { repoPath } from '../paths';

/** `file` relative to the working directory when inside it, else absolute: a path the user can paste. */
export function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** 1-based line and column of a character offset into `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

/** Where in a JSON file JSON.parse stopped: `file: not valid JSON at line L, column C (message); fix it there`. */
export function jsonErrorLine(source: string, text: string, e: unknown): string {
  const msg = String((e as Error)?.message ?? e).split('\n')[0]!;
  const pos = /at position (\d+)/.exec(msg);
  const at = pos ? lineColumn(text, Number(pos[1])) : undefined;
  const what = msg.replace(/ in JSON at position \d+.*$/, '');
  return `${source}: not valid JSON${at ? ` at line ${at.line}, column ${at.column}` : ''} (${what}); fix it there`;
}

/**
 * One line for a TS/JS file that failed to load: a syntax error as `file:line:column: <compiler message>`
 * (1-based, as editors count; esbuild's own columns are 0-based), an error thrown while it ran as the
 * first place in that file on its stack, plus a command (valid from the working directory) that shows the
 * full trace. Never a stack trace itself.
 */
export function moduleLoadErrorLine(file: string, e: unknown): string {
  const err = e as { name?: string; message?: string; stack?: string };
  const message = String(err?.message ?? e);
  const source = shownPath(file);
  if (/^Transform failed with \d+ errors?/.test(message)) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes (ESC [ … m) are what it strips
    const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
    const count = Number(/^Transform failed with (\d+)/.exec(plain)![1]);
    const more = count > 1 ? ` (+${count - 1} more)` : '';
    const esbuild = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(plain); // tsx (the CLI): 0-based column
    if (esbuild)
      return `${shownPath(resolve(esbuild[1]!))}:${esbuild[2]}:${Number(esbuild[3]) + 1}: ${esbuild[4]}${more}; fix the syntax there`;
    const oxc = /\[[A-Z_]+\] (.+)\n[\s\S]*?\[ (.+?):(\d+):(\d+) \]/.exec(plain); // vite (vitest, notebooks' tooling): 1-based
    if (oxc)
      return `${shownPath(resolve(oxc[2]!))}:${oxc[3]}:${oxc[4]}: ${oxc[1]!.trim()}${more}; fix the syntax there`;
  }
  const head = message.split('\n')[0]!;
  const stack = String(err?.stack ?? '');
  const frame = new RegExp(`${escapeRe(file)}:(\\d+)(?::(\\d+))?`).exec(stack);
  const where = frame ? `${source}:${frame[1]}${frame[2] ? `:${frame[2]}` : ''}` : source;
  const kind = err?.name && err.name !== 'Error' ? `${err.name}: ` : '';
  const trace = `node ${shownPath(repoPath('bin/run-ts.mjs'))} ${source}`;
  return `${where}: cannot load: ${kind}${head}; fix the file ('${trace}' shows the full trace)`;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
