import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../core/errors';

/**
 * One CLI command = one file src/cli/commands/<name>.ts exporting `command`. main.ts finds it by name,
 * so adding a command touches no shared file except the COMMANDS list below (for `unir --help`).
 */
export interface CliCommand {
  readonly name: string;
  /** One line for `unir --help`. */
  readonly summary: string;
  /** Full usage text for `unir <name> --help`. */
  readonly usage: string;
  /** Returns the exit code. Throw UserError for bad input: it becomes one line on stderr, exit ≠ 0. */
  run(argv: string[]): Promise<number>;
}

/** Commands shown by `unir --help`, in this order. */
export const COMMANDS = [
  'run',
  'data',
  'doctor',
  'plugins',
  'runs',
  'report',
  'compare',
  'sweep',
  'results',
  'index',
  'search',
  'umap',
] as const;

/**
 * `--k -3` → `--k=-3`: a value that starts with '-' (a negative number, SQL starting with a comment) belongs to
 * the string flag before it unless it is itself one of the command's flags, so the command's own check of the
 * value answers (node's parseArgs calls it "ambiguous").
 */
function joinDashValues(argv: string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const isFlag = (a: string) => {
    const m = /^--([^=]+)/.exec(a) ?? /^-([A-Za-z])$/.exec(a);
    return m !== null && (m[1]! in options || Object.values(options).some((o) => o.short === m[1]));
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return [...out, ...argv.slice(i)];
    const name = /^--([^=]+)$/.exec(a)?.[1];
    const next = argv[i + 1];
    if (
      name &&
      options[name]?.type === 'string' &&
      next !== undefined &&
      next.startsWith('-') &&
      next !== '--' &&
      !isFlag(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** node:util parseArgs with one-line errors that name the flag and point at --help. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  cmd: string,
  argv: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: joinDashValues(argv, options), options, allowPositionals, strict: true });
  } catch (e) {
    const ambiguous = /^Option '(--[^ ']+)[^']*' argument is ambiguous/.exec((e as Error).message);
    if (ambiguous)
      throw new UserError(
        `unir ${cmd}: ${ambiguous[1]} needs a value; write ${ambiguous[1]} VALUE. See 'unir ${cmd} --help'.`,
      );
    const msg = (e as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
    throw new UserError(`unir ${cmd}: ${msg}. See 'unir ${cmd} --help'.`);
  }
}
