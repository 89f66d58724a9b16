import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

const req = createRequire(__filename);

export type NativeBackend = 'tensorflow-gpu' | 'tensorflow';

/** Optional native backends, fastest first. Both register tfjs backend 'tensorflow'. */
export const NATIVE_PACKAGES: Readonly<Record<NativeBackend, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

export interface BackendProbe {
  name: 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
  loads: boolean;
  /** Why it does not load. */
  reason?: string;
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Loads a native backend package; returns why it cannot be used, or undefined when tfjs has it. */
export async function loadNative(name: NativeBackend): Promise<string | undefined> {
  const pkg = NATIVE_PACKAGES[name];
  try {
    req.resolve(pkg);
  } catch {
    return `${pkg} is not installed (needs internet + \`npm i ${pkg}\`)`;
  }
  try {
    await import(pkg);
  } catch (e) {
    return `${pkg} failed to load (${firstLine(e)})`;
  }
  if (!tf.engine().registryFactory.tensorflow)
    return `${pkg} loaded but registered no 'tensorflow' backend with this tfjs-core`;
  return undefined;
}

/** Whether this Node can run the wasm binary the backend would use (without starting the backend). */
async function wasmLoads(): Promise<string | undefined> {
  if (tf.engine().registry.wasm) return undefined;
  if (!tf.engine().registryFactory.wasm) return '@tensorflow/tfjs-backend-wasm registered no backend';
  try {
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
    const dir = join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    const file = simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
    if (!WebAssembly.validate(readFileSync(join(dir, file)))) return `${file} is not valid for this Node's WebAssembly`;
    return undefined;
  } catch (e) {
    return firstLine(e);
  }
}

/** Which backends load here, fastest first (for `unir doctor`). Loading a native package registers it with tfjs. */
export async function probeBackends(): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  for (const name of Object.keys(NATIVE_PACKAGES) as NativeBackend[]) {
    const reason = await loadNative(name);
    out.push(reason ? { name, loads: false, reason } : { name, loads: true });
  }
  const wasm = await wasmLoads();
  out.push(wasm ? { name: 'wasm', loads: false, reason: wasm } : { name: 'wasm', loads: true });
  out.push(
    tf.engine().registryFactory.cpu
      ? { name: 'cpu', loads: true }
      : { name: 'cpu', loads: false, reason: '@tensorflow/tfjs-backend-cpu registered no backend' },
  );
  return out;
}
