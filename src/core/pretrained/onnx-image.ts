import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';
import { folderJson, modelFile } from './model-folder';
import { OnnxSession, type OnnxValueInfo } from './onnx-session';
import type { FrozenExtractor } from './tower';

export interface OnnxImageConfig {
  path: string;
  file?: string;
  imageSize: number; // S of the data's images
  inputSize?: number;
  mean?: number[];
  std?: number[];
  output?: string;
  threads?: number;
}

export interface OnnxImage extends FrozenExtractor<Float32Array> {
  readonly session: OnnxSession;
  readonly output: string;
  readonly preprocessing: {
    inputSize: number;
    mean: number[];
    std: number[];
    layout: 'nchw' | 'nhwc';
    resize: 'bilinear';
    output: string;
  };
}

const num = (v: unknown) => (typeof v === 'number' ? v : undefined);

/** The side preprocessor_config.json asks for: crop_size, else size ({height}, {shortest_edge} or a number). */
function preprocessorSize(p: Record<string, unknown> | undefined): number | undefined {
  for (const k of ['crop_size', 'size']) {
    const v = p?.[k];
    const s =
      num(v) ??
      (v && typeof v === 'object'
        ? (num((v as Record<string, unknown>).height) ?? num((v as Record<string, unknown>).shortest_edge))
        : undefined);
    if (s) return s;
  }
  return undefined;
}

function chooseOutput(outputs: OnnxValueInfo[], name: string | undefined, file: string, where: string): string {
  const list = outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ');
  if (name) {
    if (!outputs.some((o) => o.name === name))
      throw new UserError(`${where}.output: ${file} has no output '${name}'; its outputs: ${list}`);
    return name;
  }
  const float = outputs.filter((o) => o.type === 'float32');
  const pick =
    float.find((o) => o.shape.length === 2 && /embed|pool/i.test(o.name)) ??
    float.find((o) => o.shape.length === 2) ??
    float[0];
  if (!pick) throw new UserError(`${where}.output: ${file} has no float output (${list}); is it an image encoder?`);
  return pick.name;
}

/**
 * An image encoder exported to ONNX (a CLIP/SigLIP vision tower, a ViT or CNN) as a frozen extractor. Pixels
 * (S, S, 3) in [0, 1] are resized (bilinear) to the model's side, normalised ((x − mean) / std per channel, from
 * the config, else preprocessor_config.json, else 0.5 / 0.5) and laid out as the model's float input declares
 * (NCHW when its dimension 1 is 3, else NHWC). Outputs (B, F) are used as they are; (B, N, H) token states are
 * mean-pooled over N, (B, C, h, w) maps over h, w.
 */
export function loadOnnxImage(c: OnnxImageConfig, where: string): OnnxImage {
  const file = modelFile(c.path, c.file, 'model.onnx', '.onnx', where);
  const session = OnnxSession.load(file, where, c.threads ?? 0);
  const floats = session.inputs.filter((i) => i.type === 'float32' && i.shape.length === 4);
  if (floats.length !== 1 || session.inputs.length !== 1) {
    throw new UserError(
      `${where}.path: ${file} takes inputs ${session.inputs.map((i) => `${i.name} ${i.type} [${i.shape.join(', ')}]`).join(', ')}; an image tower feeds exactly one float (B, 3, H, W) or (B, H, W, 3) input`,
    );
  }
  const input = floats[0]!;
  const layout: 'nchw' | 'nhwc' = input.shape[1] === 3 ? 'nchw' : input.shape[3] === 3 ? 'nhwc' : 'nchw';
  const pre = folderJson(c.path, 'preprocessor_config.json', where);
  const declared = num(layout === 'nchw' ? input.shape[2] : input.shape[1]);
  const size = c.inputSize ?? declared ?? preprocessorSize(pre);
  if (!size)
    throw new UserError(
      `${where}.inputSize: ${file} does not fix its input side and the folder has no preprocessor_config.json saying it; set inputSize (e.g. 224)`,
    );
  if (declared && size !== declared)
    throw new UserError(
      `${where}.inputSize: ${file} takes ${declared}×${declared} images, not ${size}; set inputSize: ${declared} or leave it out`,
    );
  const arr = (v: unknown) =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
  const mean = c.mean ?? arr(pre?.image_mean) ?? [0.5, 0.5, 0.5];
  const std = c.std ?? arr(pre?.image_std) ?? [0.5, 0.5, 0.5];
  const output = chooseOutput(session.outputs, c.output, file, where);
  const S = c.imageSize;

  const extract = (items: readonly Float32Array[]): Float32Array => {
    const n = items.length;
    const x = new Float32Array(n * S * S * 3);
    items.forEach((it, i) => x.set(it, i * S * S * 3));
    const input4 = tf.tidy(() => {
      let t: tf.Tensor4D = tf.tensor4d(x, [n, S, S, 3]);
      if (size !== S) t = tf.image.resizeBilinear(t, [size, size]);
      t = tf.div(tf.sub(t, tf.tensor1d(mean)), tf.tensor1d(std)) as tf.Tensor4D;
      return layout === 'nchw' ? tf.transpose(t, [0, 3, 1, 2]) : t;
    });
    const data = Float32Array.from(input4.dataSync() as Float32Array);
    const dims = input4.shape;
    input4.dispose();
    const y = session.run({ [input.name]: { type: 'float32', data, dims } }, [output])[output]!;
    if (!(y.data instanceof Float32Array))
      throw new UserError(`${where}.output: ${file} output '${output}' is ${y.type}, not float32`);
    if (y.dims.length === 2) return Float32Array.from(y.data);
    // (B, N, H): mean over N; (B, C, h, w): mean over h, w
    const [B, a, b, d] = y.dims as [number, number, number, number?];
    const out = new Float32Array(B * (y.dims.length === 3 ? b : a));
    if (y.dims.length === 3) {
      for (let i = 0; i < B; i++)
        for (let t = 0; t < a; t++) for (let h = 0; h < b; h++) out[i * b + h]! += y.data[(i * a + t) * b + h]! / a;
    } else {
      const hw = b * d!;
      for (let i = 0; i < B; i++)
        for (let ch = 0; ch < a; ch++) {
          let s = 0;
          for (let k = 0; k < hw; k++) s += y.data[(i * a + ch) * hw + k]!;
          out[i * a + ch] = s / hw;
        }
    }
    return out;
  };

  let width: number;
  try {
    const probe = extract([new Float32Array(S * S * 3).fill(0.5)]);
    width = probe.length;
    if (!probe.every(Number.isFinite)) throw new Error('non-finite output');
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(
      `${where}.path: ${file} fails on a ${size}×${size} ${layout.toUpperCase()} image (${String((e as Error).message)
        .split('\n')[0]!
        .slice(0, 160)}); check inputSize and that it is an image encoder`,
    );
  }
  return {
    width,
    session,
    output,
    preprocessing: { inputSize: size, mean, std, layout, resize: 'bilinear', output },
    extract,
    dispose: () => session.dispose(),
  };
}
