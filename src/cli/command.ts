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
  'run', 'data', 'doctor', 'plugins', 'runs', 'report', 'compare', 'sweep', 'results', 'index', 'search', 'umap',
] as const;

/** node:util parseArgs with one-line errors that name the flag and point at --help. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  cmd: string,
  argv: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
    throw new UserError(`unir ${cmd}: ${msg}. See 'unir ${cmd} --help'.`);
  }
}
