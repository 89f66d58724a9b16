import { existsSync, readFileSync } from 'node:fs';
import { repoPath } from '../core/paths';
import { UserError, isUserError, didYouMean } from '../core/errors';
import { COMMANDS, type CliCommand } from './command';
import { BACKEND_NAMES } from '../core/backend/names';

const commandsDir = repoPath('src/cli/commands') + '/';

async function load(name: string): Promise<CliCommand | undefined> {
  if (!/^[a-z-]+$/.test(name) || !existsSync(`${commandsDir}${name}.ts`)) return undefined;
  return ((await import(`./commands/${name}.ts`)) as { command: CliCommand }).command;
}

async function help(): Promise<string> {
  const lines = [
    'unir — unified multimodal + multilingual retrieval with NLU integration',
    '',
    'Usage: unir <command> [options]',
    '',
    'Commands:',
  ];
  for (const name of COMMANDS) {
    const c = await load(name).catch((e: Error) => ({ summary: `(failed to load: ${e.message.split('\n')[0]})` }));
    if (c) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  }
  lines.push(
    '',
    "Run 'unir <command> --help' for a command's options.",
    'Global: --backend auto|tensorflow-gpu|tensorflow|wasm|cpu (or UNIR_BACKEND)',
  );
  return lines.join('\n');
}

/** Takes the global `--backend X` / `--backend=X` out of argv and exports it as UNIR_BACKEND. */
function takeBackendFlag(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let value: string | undefined;
    if (a === '--backend') {
      value = argv[++i];
      if (value === undefined) throw new UserError(`--backend needs a value: one of ${BACKEND_NAMES.join(', ')}`);
    } else if (a.startsWith('--backend=')) value = a.slice('--backend='.length);
    else {
      out.push(a);
      continue;
    }
    if (!(BACKEND_NAMES as readonly string[]).includes(value)) {
      const hint = didYouMean(value, BACKEND_NAMES);
      throw new UserError(
        `--backend: unknown backend '${value}'.${hint ? ` Did you mean '${hint}'?` : ''} Use one of ${BACKEND_NAMES.join(', ')}.`,
      );
    }
    process.env.UNIR_BACKEND = value;
  }
  return out;
}

/** CLI entry: returns the process exit code. UserErrors become one line on stderr, no stack trace. */
export async function main(argv: string[]): Promise<number> {
  try {
    const [name, ...rest] = takeBackendFlag(argv);
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      console.log(await help());
      return name ? 0 : 1;
    }
    if (name === '--version') {
      const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };
      console.log(pkg.version);
      return 0;
    }
    const cmd = await load(name);
    if (!cmd) {
      const known = COMMANDS.filter((c) => existsSync(`${commandsDir}${c}.ts`));
      const hint = didYouMean(name, known);
      console.error(
        `unir: unknown command '${name}'.${hint ? ` Did you mean '${hint}'?` : ''} Known: ${known.join(', ')}.`,
      );
      return 2;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(cmd.usage);
      return 0;
    }
    return await cmd.run(rest);
  } catch (e) {
    if (isUserError(e)) {
      console.error(`unir: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
}
