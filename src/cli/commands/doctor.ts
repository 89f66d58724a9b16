import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { repoPath } from '../../core/paths';
import { initBackend, probeBackends, disposeBackend } from '../../core/backend';
import { jupyterStatus } from '../../core/jupyter';
import { PLUGIN_KINDS } from '../../core/registry';
import { registry } from '../../plugins';
import { parseFlags, type CliCommand } from '../command';

const requireHere = createRequire(__filename);

const BACKEND_FIXES: Record<string, string> = {
  'tensorflow-gpu':
    "'npm i @tensorflow/tfjs-node-gpu' on a machine with CUDA and internet (its install downloads libtensorflow)",
  tensorflow: "'npm i @tensorflow/tfjs-node' on a machine with internet (its install downloads libtensorflow)",
  wasm: "reinstall: 'npm ci'",
};

function pkgVersion(name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(requireHere.resolve(`${name}/package.json`), 'utf8')) as { version: string })
      .version;
  } catch {
    return undefined;
  }
}

/** Everything `unir doctor` reports; `--json` prints exactly this. */
export async function doctorReport() {
  const backends = await probeBackends();
  const chosen = await initBackend({ quiet: true });
  const jupyter = jupyterStatus();
  const plugins = Object.fromEntries(
    PLUGIN_KINDS.map((k) => [
      k,
      registry()
        .list(k)
        .map((p) => p.id),
    ]),
  );
  const fixes: string[] = [];
  for (const b of backends) {
    const fix = BACKEND_FIXES[b.name];
    if (!b.loads && fix) fixes.push(`${b.name} (optional): ${fix}`);
  }
  if (chosen.multithreadFallback) fixes.push(`wasm threads: ${chosen.multithreadFallback}`);
  if (jupyter.fix) fixes.push(`jupyter: run '${jupyter.fix}'`);
  return {
    node: process.version,
    unir:
      pkgVersion('unir') ?? (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version,
    tfjs: pkgVersion('@tensorflow/tfjs-core'),
    backends,
    backend: chosen,
    jupyter,
    plugins,
    fixes,
  };
}

export const command: CliCommand = {
  name: 'doctor',
  summary: 'Check the machine: Node, tfjs backends and threads, training kernels, Jupyter + tslab',
  usage: `Usage: unir doctor [--json] [--backend auto|tensorflow-gpu|tensorflow|wasm|cpu]

Reports Node and tfjs versions, which backends load, the backend unir would choose and its thread count,
the training kernels unir registered, whether Jupyter and the tslab kernel are present, and the command that
fixes each missing piece.`,
  async run(argv) {
    const { values } = parseFlags('doctor', argv, { json: { type: 'boolean' } }, false);
    const r = await doctorReport();
    await disposeBackend();
    if (values.json) {
      console.log(JSON.stringify(r, null, 2));
      return 0;
    }
    const ok = (b: boolean) => (b ? 'yes' : 'no');
    console.log(`unir ${r.unir}   node ${r.node}   tfjs ${r.tfjs}`);
    console.log('backends:');
    for (const b of r.backends)
      console.log(`  ${b.name.padEnd(15)} ${b.loads ? 'loads' : `no  (${b.reason ?? 'not available'})`}`);
    console.log(`chosen backend: ${r.backend.name}, ${r.backend.threads} thread(s)${r.backend.simd ? ', SIMD' : ''}`);
    if (r.backend.nativeGemm)
      console.log(`native kernels (products, GELU, attention, convolution, AdamW): ${r.backend.nativeGemm}`);
    console.log(`training kernels registered by unir: ${r.backend.kernels.join(', ') || '(none)'}`);
    console.log(
      `jupyter (${r.jupyter.python}): ${ok(r.jupyter.jupyter)}   tslab kernel: ${ok(r.jupyter.tslabKernel)}   unir kernel: ${ok(r.jupyter.unirKernel)}`,
    );
    console.log(`plugins: ${PLUGIN_KINDS.map((k) => `${k} ${r.plugins[k]!.length}`).join(', ')}`);
    if (r.fixes.length) {
      console.log('to fix:');
      for (const f of r.fixes) console.log(`  ${f}`);
    } else console.log('everything needed is present');
    return 0;
  },
};
