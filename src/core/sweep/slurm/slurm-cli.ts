import { spawnSync } from 'node:child_process';
import { UserError } from '../../errors';

/** Output of a Slurm command; a missing binary, an unreachable controller or a bad partition is a one-line UserError. */
export function slurm(cmd: 'sbatch' | 'squeue' | 'sacct' | 'scancel' | 'sinfo' | 'scontrol', args: string[], o: { allowFail?: boolean } = {}): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new UserError(`no '${cmd}' on PATH: run this on a Slurm login node, or install slurm-client there (with munge and the cluster's slurm.conf); --executor local runs the sweep on this machine`);
  }
  const stderr = (r.stderr ?? '').trim();
  const ok = r.status === 0 && !r.error;
  if (!ok && !o.allowFail) throw new UserError(`${cmd}: ${explain(cmd, args, stderr || String(r.error?.message ?? `exit ${r.status}`))}`);
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
    const known = spawnSync('sinfo', ['-h', '-o', '%R'], { encoding: 'utf8', timeout: 10_000 }).stdout?.trim().split('\n').filter(Boolean) ?? [];
    return `partition '${partition ?? '?'}' does not exist; use one of ${known.join(', ') || "those 'sinfo' lists"} (--partition NAME)`;
  }
  if (/Invalid generic resource|gres/i.test(stderr)) return `${msg}; check --gres against 'sinfo -o "%P %G"'`;
  if (/Requested node configuration is not available|More processors requested/i.test(stderr)) return `${msg}; ask for fewer --cpus-per-task / --mem / --gres, or another --partition`;
  return msg || `${cmd} failed`;
}
