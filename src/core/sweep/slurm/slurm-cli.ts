import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { UserError } from '../../errors';

type SlurmCommand = 'sbatch' | 'squeue' | 'sacct' | 'scancel' | 'sinfo' | 'scontrol';

const notOnPath = (cmd: SlurmCommand) =>
  new UserError(
    `no '${cmd}' on PATH: run this on a Slurm login node, or install slurm-client there (with munge and the cluster's slurm.conf); --executor local runs the sweep on this machine`,
  );

/** Whether an executable file `cmd` is in one of PATH's folders. */
function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((d) => {
      try {
        const f = join(d, cmd);
        accessSync(f, constants.X_OK);
        return statSync(f).isFile();
      } catch {
        return false;
      }
    });
}

/** Fails with the one-line fix unless Slurm's client commands are on PATH: checked before anything is written. */
export function requireSlurmClient(cmds: SlurmCommand[] = ['sbatch', 'squeue']): void {
  const missing = cmds.find((c) => !onPath(c));
  if (missing) throw notOnPath(missing);
}

/** Output of a Slurm command; a missing binary, an unreachable controller or a bad partition is a one-line UserError. */
export function slurm(
  cmd: SlurmCommand,
  args: string[],
  o: { allowFail?: boolean } = {},
): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw notOnPath(cmd);
  }
  const stderr = (r.stderr ?? '').trim();
  const ok = r.status === 0 && !r.error;
  if (!ok && !o.allowFail)
    throw new UserError(`${cmd}: ${explain(cmd, args, stderr || String(r.error?.message ?? `exit ${r.status}`))}`);
  return { ok, stdout: r.stdout ?? '', stderr };
}

/** Slurm's error, with the fix for the ones a user meets first. */
function explain(cmd: string, args: string[], stderr: string): string {
  const first = stderr.split('\n').find((l) => /error/i.test(l)) ?? stderr.split('\n')[0] ?? '';
  const msg = first.replace(/^\w+: error: /, '').trim();
  if (/Unable to contact slurm controller|Connection refused|connect failure|Socket timed out/i.test(stderr)) {
    return `${msg}: the Slurm controller is down or unreachable; start slurmctld (or ask the cluster's admins), check with 'scontrol ping'`;
  }
  if (/invalid partition/i.test(stderr)) {
    const partition = args.find((a) => a.startsWith('--partition='))?.slice('--partition='.length);
    const known =
      spawnSync('sinfo', ['-h', '-o', '%R'], { encoding: 'utf8', timeout: 10_000 })
        .stdout?.trim()
        .split('\n')
        .filter(Boolean) ?? [];
    return `partition '${partition ?? '?'}' does not exist; use one of ${known.join(', ') || "those 'sinfo' lists"} (--partition NAME)`;
  }
  if (/Invalid generic resource|gres/i.test(stderr)) return `${msg}; check --gres against 'sinfo -o "%P %G"'`;
  if (/Requested node configuration is not available|More processors requested/i.test(stderr))
    return `${msg}; ask for fewer --cpus-per-task / --mem / --gres, or another --partition`;
  return msg || `${cmd} failed`;
}
