// The machine a bench number was measured on: CPU model, family/model ids, the SIMD flags that decide speed,
// cores and caches (Linux /proc/cpuinfo and /sys; fields stay undefined elsewhere). Every bench prints it.
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface Machine {
  cpu: string; // model name as the kernel reports it, e.g. 'AMD EPYC'
  vendor?: string; // AuthenticAMD, GenuineIntel
  family?: number;
  model?: number;
  microarch?: string; // a best guess from vendor/family/model, e.g. 'Zen 4'
  cores: number;
  l2KiBPerCore?: number;
  l3KiB?: number;
  flags: string[]; // the SIMD flags that matter here (avx2, fma, avx512*, amx*), in cpuinfo order
  node: string;
}

const SIMD_FLAG = /^(sse4_2|avx|avx2|fma|f16c|avx512\w*|amx\w*|avx_vnni)$/;

/** Known x86 microarchitectures by (vendor, family, model); undefined when not known. */
function microarch(vendor?: string, family?: number, model?: number): string | undefined {
  if (vendor === 'AuthenticAMD' && family === 25) {
    const zen4 = (model! >= 0x10 && model! <= 0x1f) || (model! >= 0x60 && model! <= 0xaf); // Genoa, Phoenix, Raphael
    return zen4 ? 'Zen 4' : 'Zen 3';
  }
  if (vendor === 'AuthenticAMD' && family === 26) return 'Zen 5';
  if (vendor === 'AuthenticAMD' && family === 23) return 'Zen 2 / Zen';
  if (vendor === 'GenuineIntel' && family === 6) {
    const intel: Record<number, string> = {
      85: 'Skylake-SP / Cascade Lake / Cooper Lake',
      106: 'Ice Lake-SP',
      108: 'Ice Lake-SP',
      143: 'Sapphire Rapids',
      207: 'Emerald Rapids',
      173: 'Granite Rapids',
    };
    return intel[model!];
  }
  return undefined;
}

function cacheKiB(index: number): number | undefined {
  const f = `/sys/devices/system/cpu/cpu0/cache/index${index}/size`;
  if (!existsSync(f)) return undefined;
  const m = /^(\d+)([KM])/.exec(readFileSync(f, 'utf8').trim());
  return m ? Number(m[1]) * (m[2] === 'M' ? 1024 : 1) : undefined;
}

let cached: Machine | undefined;

export function machine(): Machine {
  if (cached) return cached;
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0]! : '';
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
  const vendor = field('vendor_id');
  const family = field('cpu family') !== undefined ? Number(field('cpu family')) : undefined;
  const model = field('model') !== undefined ? Number(field('model')) : undefined;
  cached = {
    cpu: field('model name') ?? cpus()[0]?.model ?? 'unknown',
    vendor,
    family,
    model,
    microarch: microarch(vendor, family, model),
    cores: cpus().length,
    l2KiBPerCore: cacheKiB(2),
    l3KiB: cacheKiB(3),
    flags: (field('flags') ?? '').split(/\s+/).filter((f) => SIMD_FLAG.test(f)),
    node: process.version,
  };
  return cached;
}

/** One line for a table's caption: 'AMD EPYC (Zen 4, family 25 model 17), 2 cores, L2 1024 KiB/core, ...'. */
export function machineLine(m: Machine = machine()): string {
  const ids = [m.microarch, m.family !== undefined ? `family ${m.family} model ${m.model}` : undefined]
    .filter(Boolean)
    .join(', ');
  const avx512 = m.flags.filter((f) => f.startsWith('avx512'));
  const flags = [
    ...m.flags.filter((f) => !f.startsWith('avx512')),
    avx512.length ? `avx512 (${avx512.length} subsets)` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `${m.cpu}${ids ? ` (${ids})` : ''}, ${m.cores} cores, L2 ${m.l2KiBPerCore ?? '?'} KiB/core, L3 ${m.l3KiB ?? '?'} KiB; ${flags || 'no AVX'}; Node ${m.node}`;
}
