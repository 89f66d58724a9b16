import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { modelFile } from './model-folder';
import { OnnxSession, type OnnxValueInfo } from './onnx-session';
import { ModelTokenizer, poolStates, type TextInputs } from './text-inputs';
import type { FrozenExtractor } from './tower';

export interface OnnxTextConfig {
  path: string;
  file?: string;
  tokenizer?: string;
  maxLength: number;
  pooling: 'mean' | 'cls';
  output?: string;
  threads?: number;
}

export interface OnnxText extends FrozenExtractor<string> {
  readonly session: OnnxSession;
  readonly tokenizer: ModelTokenizer;
  /** The output read and whether it is pooled here ((B, T, H)) or used as it is ((B, F)). */
  readonly output: { name: string; pooled: boolean };
  /** What shapes the features besides the model files: part of the feature cache key. */
  readonly preprocessing: Record<string, unknown>;
}

/** Input names a text model may take, and what each gets. */
const FEEDS: [RegExp, keyof TextInputs | 'positions'][] = [
  [/input_ids$/, 'ids'],
  [/attention_mask$/, 'mask'],
  [/token_type_ids$/, 'typeIds'],
  [/position_ids$/, 'positions'],
];

/** The output to read: `name`, else a (B, F) one whose name says embedding/pooled, else any (B, F), else the first (B, T, H). */
function chooseOutput(
  outputs: OnnxValueInfo[],
  name: string | undefined,
  file: string,
  where: string,
): { name: string; pooled: boolean } {
  const list = outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ');
  if (name) {
    const o = outputs.find((x) => x.name === name);
    if (!o) throw new UserError(`${where}.output: ${file} has no output '${name}'; its outputs: ${list}`);
    return { name, pooled: o.shape.length === 3 };
  }
  const r2 = outputs.filter((o) => o.shape.length === 2 && o.type === 'float32');
  const named = r2.find((o) => /embed|pool/i.test(o.name)) ?? r2[0];
  if (named) return { name: named.name, pooled: false };
  const r3 = outputs.find((o) => o.shape.length === 3 && o.type === 'float32');
  if (r3) return { name: r3.name, pooled: true };
  throw new UserError(
    `${where}.output: ${file} has no float (B, F) or (B, T, H) output (${list}); is it a text encoder?`,
  );
}

/**
 * A text encoder exported to ONNX (BERT, LaBSE, multilingual-e5, CLIP's text tower, sentence-transformers exports) as a
 * frozen extractor: its tokenizer.json gives input_ids (+ attention_mask, token_type_ids, position_ids when the model
 * takes them, int64 or int32 as declared), onnxruntime runs it, and (B, T, H) outputs are pooled (masked mean or CLS).
 * A probe at load checks that the tokenizer's largest id fits the model and that the output is finite.
 */
export function loadOnnxText(c: OnnxTextConfig, where: string): OnnxText {
  const file = modelFile(c.path, c.file, 'model.onnx', '.onnx', where);
  const tokFile = c.tokenizer
    ? isAbsolute(c.tokenizer)
      ? c.tokenizer
      : join(resolve(c.path), c.tokenizer)
    : join(resolve(c.path), 'tokenizer.json');
  const tokenizer = ModelTokenizer.load(tokFile, where);
  const session = OnnxSession.load(file, where, c.threads ?? 0);
  const feeds = session.inputs.map((inp) => {
    const hit = FEEDS.find(([re]) => re.test(inp.name));
    if (!hit)
      throw new UserError(
        `${where}.path: ${file} takes an input '${inp.name}' a text tower cannot fill (it feeds input_ids, attention_mask, token_type_ids, position_ids); export the model with those inputs`,
      );
    if (inp.type !== 'int64' && inp.type !== 'int32')
      throw new UserError(
        `${where}.path: ${file} input '${inp.name}' is ${inp.type}, expected int64 or int32 token ids; is it a text encoder?`,
      );
    return { name: inp.name, what: hit[1], type: inp.type };
  });
  if (!feeds.some((f) => f.what === 'ids'))
    throw new UserError(
      `${where}.path: ${file} has no input_ids input (inputs: ${session.inputs.map((i) => i.name).join(', ')}); is it a text encoder?`,
    );
  const output = chooseOutput(session.outputs, c.output, file, where);

  const run = (x: TextInputs): Float32Array => {
    const { batch: B, length: T } = x;
    const f: Parameters<OnnxSession['run']>[0] = {};
    for (const { name, what, type } of feeds) {
      const src = what === 'positions' ? Int32Array.from({ length: B * T }, (_, i) => i % T) : x[what];
      f[name] =
        type === 'int64'
          ? { type, data: BigInt64Array.from(src as Int32Array, (v) => BigInt(v)), dims: [B, T] }
          : { type, data: src as Int32Array, dims: [B, T] };
    }
    const y = session.run(f, [output.name])[output.name]!;
    if (!(y.data instanceof Float32Array))
      throw new UserError(`${where}.output: ${file} output '${output.name}' is ${y.type}, not float32`);
    if (!output.pooled) return Float32Array.from(y.data);
    const H = y.dims[2]!;
    return poolStates(y.data, x.mask, B, T, H, c.pooling);
  };

  // probe: a word and the tokenizer's largest id must run; gives F
  let width: number;
  try {
    const probe = run({ ...tokenizer.encode(['hello world'], c.maxLength) });
    const big = tokenizer.vocabSize - 1;
    const row = [...tokenizer.prefix, big, ...tokenizer.suffix];
    const ids = Int32Array.from(row);
    const out = run({
      batch: 1,
      length: row.length,
      ids,
      mask: new Int32Array(row.length).fill(1),
      typeIds: new Int32Array(row.length),
    });
    width = probe.length;
    if (!out.every(Number.isFinite)) throw new Error(`non-finite output for token id ${big}`);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(
      `${where}.tokenizer: ${tokenizer.file} (${tokenizer.vocabSize} tokens) does not fit ${file} (${String(
        (e as Error).message,
      )
        .split('\n')[0]!
        .slice(0, 160)}); use the tokenizer.json exported with this model`,
    );
  }
  return {
    width,
    session,
    tokenizer,
    output,
    preprocessing: { maxLength: c.maxLength, pooling: output.pooled ? c.pooling : 'model', output: output.name },
    extract: (texts) => run(tokenizer.encode(texts, c.maxLength)),
    dispose: () => session.dispose(),
  };
}
