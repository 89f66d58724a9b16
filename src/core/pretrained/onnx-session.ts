import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Binding } from 'onnxruntime-node/dist/binding';
import type { Tensor as OrtTensor } from 'onnxruntime-node';
import { UserError } from '../errors';

/**
 * ONNX models run with onnxruntime-node 1.30 (pinned) directly, not through @huggingface/transformers, because:
 * unir's encoder contract is synchronous (encode() runs inside tf.tidy and the gradient tape), and onnxruntime-node's
 * native session is synchronous under its Promise wrapper (its binding is documented as "a simple synchronized
 * inference session"), which this file calls; pooling, normalisation and tokenisation are unir's own (tokenizer.json
 * through @lenml/tokenizers, transformers.js's tokenizer code, already a dependency), so transformers.js would add a
 * second copy of onnxruntime, sharp and hub code paths without adding anything used here. Only the CPU execution
 * provider is used: it ships inside the package (its install script, which downloads from a non-registry host, stays
 * denied in package.json allowScripts).
 */

export type OnnxType =
  | 'float32'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'float16'
  | 'float64'
  | 'uint8'
  | 'int8'
  | 'string'
  | 'unknown';

/** onnxruntime's tensor element types by their ONNX enum (TensorProto.DataType). */
const TYPES: Record<number, OnnxType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
};

export interface OnnxValueInfo {
  name: string;
  type: OnnxType;
  /** Dimensions: a number, or the symbolic name of a free one ('batch', 'sequence'). */
  shape: (number | string)[];
}

export interface OnnxOutput {
  type: OnnxType;
  dims: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

interface OrtModule {
  binding: { InferenceSession: Binding.InferenceSessionConstructor };
  initOrt(): void;
  Tensor: typeof OrtTensor;
}

let ort: OrtModule | undefined;
function runtime(): OrtModule {
  if (!ort) {
    // Lazily: the native library loads only when an ONNX tower is built.
    const { binding, initOrt } = require('onnxruntime-node/dist/binding') as Pick<OrtModule, 'binding' | 'initOrt'>;
    const { Tensor } = require('onnxruntime-node') as { Tensor: typeof OrtTensor };
    if (typeof binding?.InferenceSession !== 'function' || typeof initOrt !== 'function') {
      throw new Error(
        'onnxruntime-node: dist/binding no longer exports InferenceSession/initOrt; unir pins onnxruntime-node 1.30.0 (npm ci)',
      );
    }
    initOrt();
    ort = { binding, initOrt, Tensor };
  }
  return ort;
}

/** A synchronous onnxruntime session over one .onnx file. */
export class OnnxSession {
  private constructor(
    private readonly s: Binding.InferenceSession,
    readonly file: string,
    readonly inputs: OnnxValueInfo[],
    readonly outputs: OnnxValueInfo[],
  ) {}

  /**
   * Loads `file`; UserErrors name it: missing, empty, or not an ONNX model onnxruntime can load. `threads`:
   * intra-op threads (0 = onnxruntime's default, one per core).
   */
  static load(file: string, where: string, threads = 0): OnnxSession {
    if (!existsSync(file))
      throw new UserError(
        `${where}.path: ${file} does not exist; the folder needs the model as model.onnx (or set 'file')`,
      );
    if (statSync(file).size === 0) throw new UserError(`${where}.path: ${file} is empty; copy the model file again`);
    const s = new (runtime().binding.InferenceSession)();
    try {
      s.loadModel(file, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    } catch (e) {
      const head = readFileSync(file).subarray(0, 64).toString('latin1');
      const lfs = head.startsWith('version https://git-lfs') ? ' (it is a Git LFS pointer: run git lfs pull)' : '';
      throw new UserError(
        `${where}.path: ${file} is not an ONNX model onnxruntime can load${lfs} (${String((e as Error).message)
          .split('\n')[0]!
          .slice(0, 200)}); export the model to ONNX again or point path at another folder`,
      );
    }
    const info = (m: Binding.ValueMetadata[]): OnnxValueInfo[] =>
      m.map((v) => ({
        name: v.name,
        type: v.isTensor ? (TYPES[v.type] ?? 'unknown') : 'unknown',
        shape: v.shape.map((d, i) => (d >= 0 ? d : v.symbolicDimensions[i] || '?')),
      }));
    return new OnnxSession(s, file, info(s.inputMetadata), info(s.outputMetadata));
  }

  /** Runs the model on `feeds` (name → typed array + dims) and returns the named outputs. */
  run(
    feeds: Record<
      string,
      { type: 'float32' | 'int64' | 'int32'; data: Float32Array | BigInt64Array | Int32Array; dims: number[] }
    >,
    outputs: readonly string[],
  ): Record<string, OnnxOutput> {
    const { Tensor } = runtime();
    const f: Record<string, OrtTensor> = {};
    for (const [k, v] of Object.entries(feeds)) f[k] = new Tensor(v.type, v.data, v.dims);
    const fetches = Object.fromEntries(outputs.map((o) => [o, null]));
    const out = this.s.run(f, fetches, {}) as unknown as Record<
      string,
      { type: OnnxType; dims: readonly number[]; data: OnnxOutput['data'] }
    >;
    return Object.fromEntries(
      outputs.map((o) => [o, { type: out[o]!.type, dims: [...out[o]!.dims], data: out[o]!.data }]),
    );
  }

  dispose(): void {
    this.s.dispose();
  }
}
