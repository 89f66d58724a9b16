import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic';

/**
 * Multithreaded SIMD wasm in Node. tfjs-backend-wasm 4.22 turns threads off in Node (tfjs#3830): it hands
 * Emscripten `blob:` URLs for the main and pthread-worker scripts, which worker_threads cannot load, and its C++
 * caps the pool at half of os.cpus(). While setBackend('wasm') initialises, this shim answers the worker's
 * createObjectURL with a real file (whose own createObjectURL answers with the main script, also a real file)
 * and lets os.cpus() report 2 × threads. It depends on the package's internals, so it checks the version and
 * layout first; the caller falls back to one thread, visibly, when they do not match.
 */
export const SHIM_WASM_VERSION = '4.22.0';

const req = createRequire(__filename);
const WORKER = 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
const FACTORY = 'wasm-out/tfjs-backend-wasm-threaded-simd.js';
const BINARY = 'dist/tfjs-backend-wasm-threaded-simd.wasm';
// Lines of the package's node bundle the shim works around; if one is gone the package changed.
const BUNDLE_MARKERS = [
  "if (ENV.get('IS_NODE'))", // multithread flag forced off in Node
  'return URL.createObjectURL(blob);', // worker script handed over as a blob: URL
  'factoryConfig.mainScriptUrlOrBlob = new Blob(', // main script handed over as a Blob
  'return require$$4.cpus().length;', // emscripten_num_logical_cores (C++ takes half of it)
  'var pthreadPoolSize = 8;', // workers Emscripten pre-spawns: the most threads there can be
];

export const MAX_WASM_THREADS = 8;

export type ThreadShim =
  | { ok: true; workerScript: string; mainScript: string; install(): void; uninstall(): void }
  | { ok: false; reason: string };

/** Where the shim writes its scripts: $UNIR_CACHE_DIR or <tmp>/unir-cache, then wasm-<version>/. */
export function wasmCacheDir(): string {
  return join(process.env.UNIR_CACHE_DIR || join(os.tmpdir(), 'unir-cache'), `wasm-${SHIM_WASM_VERSION}`);
}

// .cjs: CommonJS wherever the cache lives, also inside a package.json with "type": "module" (a project folder)
function writeOnce(dir: string, stem: string, text: string): string {
  const path = join(dir, `${stem}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}.cjs`);
  if (!existsSync(path)) writeFileAtomic(path, text);
  return path;
}

/** Checks the package, writes the two scripts, and returns the patch to hold while setBackend('wasm') runs. */
export function prepareThreadShim(threads: number, wasmVersion: string): ThreadShim {
  const fail = (reason: string): ThreadShim => ({ ok: false, reason });
  if (wasmVersion !== SHIM_WASM_VERSION) {
    return fail(
      `@tensorflow/tfjs-backend-wasm is ${wasmVersion}, unir's thread shim is written for ${SHIM_WASM_VERSION}`,
    );
  }
  if (typeof SharedArrayBuffer === 'undefined') return fail('this Node has no SharedArrayBuffer');
  let pkgDir: string;
  let bundle: string;
  let workerContents: unknown;
  let factory: unknown;
  try {
    pkgDir = dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    bundle = readFileSync(req.resolve('@tensorflow/tfjs-backend-wasm'), 'utf8');
    workerContents = (req(join(pkgDir, WORKER)) as { wasmWorkerContents?: unknown }).wasmWorkerContents;
    factory = req(join(pkgDir, FACTORY));
  } catch (e) {
    return fail(`unexpected @tensorflow/tfjs-backend-wasm layout (${(e as Error).message.split('\n')[0]})`);
  }
  const missing = BUNDLE_MARKERS.find((m) => !bundle.includes(m));
  if (missing) return fail(`unexpected @tensorflow/tfjs-backend-wasm bundle (no \`${missing}\`)`);
  if (!existsSync(join(pkgDir, BINARY))) return fail(`${BINARY} is missing from @tensorflow/tfjs-backend-wasm`);
  if (
    typeof workerContents !== 'string' ||
    !workerContents.startsWith('"use strict";') ||
    !workerContents.includes('URL.createObjectURL(e.data.urlOrBlob)')
  ) {
    return fail(`unexpected ${WORKER} in @tensorflow/tfjs-backend-wasm`);
  }
  if (typeof factory !== 'function') return fail(`unexpected ${FACTORY} in @tensorflow/tfjs-backend-wasm`);

  let mainScript: string;
  let workerScript: string;
  const dir = wasmCacheDir();
  try {
    mainScript = writeOnce(dir, 'threaded-simd-main', `var WasmBackendModuleThreadedSimd = ${factory.toString()};\n`);
    // The package escapes newlines the same way before making its blob (they sit inside string literals).
    const body = workerContents.replace(/\n/g, '\\n').slice('"use strict";'.length);
    const prelude = `URL.createObjectURL=()=>${JSON.stringify(mainScript)};URL.revokeObjectURL=()=>{};`;
    workerScript = writeOnce(dir, 'threaded-simd-worker', `"use strict";${prelude}${body}`);
  } catch (e) {
    return fail(
      `cannot write the worker scripts to ${dir} (${(e as Error).message.split('\n')[0]}); set UNIR_CACHE_DIR`,
    );
  }

  const cpus = os.cpus;
  const createObjectURL = URL.createObjectURL;
  return {
    ok: true,
    mainScript,
    workerScript,
    install() {
      URL.createObjectURL = (obj: Blob) =>
        obj instanceof Blob && obj.type === 'application/javascript' ? workerScript : createObjectURL(obj);
      os.cpus = () => {
        const real = cpus();
        return Array.from({ length: 2 * Math.min(threads, MAX_WASM_THREADS) }, (_, i) => real[i % real.length]!);
      };
    },
    uninstall() {
      URL.createObjectURL = createObjectURL;
      os.cpus = cpus;
    },
  };
}
