import type * as tf from '@tensorflow/tfjs-core';
import type { Registry } from '../registry';
import type { EncodedBatch, Tokenizer } from '../text/tokenizer';
import type { Encoder, EncoderCtx, ImageEncoder, NluEncoder, NluOutput, TextEncoder } from './encoder';
import type { Fusion, FusionCtx } from './fusion';
import { parseModelSpec, type ModelSpec, type PluginSpec } from './spec';
import { tidyRecord } from '../nn/ops';
import type { ModelCall, ModelCallResult } from './train-model';

export type ModelPart = 'text' | 'image' | 'nlu' | 'fusion';

/**
 * The unified model (arXiv 2601.14714, scaled down): one text encoder for captions, chunks and queries, an
 * image encoder, an NLU module whose features are fused into queries, all embedding into the same D.
 * Every method runs inside its own tf.tidy; the caller owns (and disposes) what it returns.
 */
export interface UnifiedModel {
  readonly dim: number;
  /** Parameter groups, for freezing + checkpoints; each list in a fixed order. Frozen loaded weights are absent. */
  readonly modules: Record<ModelPart, tf.Variable[]>;
  readonly tokenizer: Tokenizer;
  /** The parsed spec, every default filled in. */
  readonly spec: ModelSpec;
  readonly parts: { text: TextEncoder; image: ImageEncoder; nlu: NluEncoder; fusion: Fusion };
  /** (B, D) unit rows: captions, chunks, semantic text. */
  encodeText(batch: EncodedBatch, training: boolean): tf.Tensor2D;
  /**
   * The calls' results as made in turn (TrainModel.encodeCalls): the NLU runs first, in order, in one encodeMany
   * where the NLU encoder has it and they share a mode; then every text pass, fused queries with their hooks, in one
   * encodeMany likewise; then late fusion in order. Each weight meets the passes in the same order as calls one by
   * one, so its gradient is summed alike.
   */
  encodeCalls(calls: readonly ModelCall[]): ModelCallResult[];
  /** (B, S, S, 3) in [0, 1] → (B, D) unit rows. `meanwhile`: TrainModel.encodeImage's, handed to the image encoder. */
  encodeImage(images: tf.Tensor4D, training: boolean, meanwhile?: () => void): tf.Tensor2D;
  /**
   * A query: with useNlu (default true) NLU runs on it and, with a fusion that uses NLU, its features are fused into
   * the text encoding; `nlu` holds the intent/slot predictions for the same queries. With useNlu false the query is
   * plain text: the NLU encoder does not run and `nlu` is absent.
   */
  encodeQuery(batch: EncodedBatch, training: boolean, useNlu?: true): { embedding: tf.Tensor2D; nlu: NluOutput };
  encodeQuery(batch: EncodedBatch, training: boolean, useNlu: boolean): { embedding: tf.Tensor2D; nlu?: NluOutput };
  runNlu(batch: EncodedBatch, training: boolean): NluOutput;
  /** The distillation teacher (spec.teacher): a text encoder in no module, so no stage trains it. */
  readonly teacher?: TextEncoder;
  /** The teacher's (B, D) unit rows, in inference mode: the target of 'translation' pairs. */
  encodeTeacher?(batch: EncodedBatch): tf.Tensor2D;
  /** Forward FLOPs per sample of each part at the tokenizer's T and the image encoder's S. */
  flopsPerSample(): Record<ModelPart, number>;
  dispose(): void;
}

export interface UnifiedModelCtx {
  numIntents: number; // I, from the dataset
  numSlotLabels: number; // S, BIO labels from the dataset
  seed: number;
  /** Where the parts' plugins are looked up. */
  registry: Registry;
  /** Config path for error messages; default 'model'. */
  where?: string;
}

/** Builds the model from a spec (validated and defaulted here). Async because some encoders load files. */
export async function createUnifiedModel(spec: unknown, ctx: UnifiedModelCtx): Promise<UnifiedModel> {
  const reg = ctx.registry;
  const where = ctx.where ?? 'model';
  const s = parseModelSpec(spec, where, reg);
  const made: { dispose(): void }[] = [];
  const split = ({ id, ...cfg }: PluginSpec) => [id, cfg] as const;
  try {
    const [tokId, tokCfg] = split(s.tokenizer);
    const tokenizer = reg.create('tokenizer', tokId, tokCfg, undefined, `${where}.tokenizer`);
    const tokInfo = {
      vocabSize: tokenizer.vocabSize,
      pieces: tokenizer.pieces,
      maxLength: tokenizer.maxLength,
      padId: tokenizer.padId,
      clsId: tokenizer.clsId,
    };
    const encoder = async <E extends Encoder>(key: 'text' | 'image' | 'nlu' | 'teacher'): Promise<E> => {
      const [id, cfg] = split(s[key]!);
      const ectx: EncoderCtx = {
        scope: key,
        seed: ctx.seed,
        dim: s.dim,
        where: `${where}.${key}`,
        tokenizer: tokInfo,
        numIntents: ctx.numIntents,
        numSlotLabels: ctx.numSlotLabels,
      };
      const e = await reg.create('encoder', id, cfg, ectx, `${where}.${key}`);
      made.push(e);
      return e as E;
    };
    const text = await encoder<TextEncoder>('text');
    const image = await encoder<ImageEncoder>('image');
    const nlu = await encoder<NluEncoder>('nlu');
    const teacher = s.teacher ? await encoder<TextEncoder>('teacher') : undefined;
    const [fId, fCfg] = split(s.fusion);
    const fctx: FusionCtx = {
      scope: 'fusion',
      seed: ctx.seed,
      dim: s.dim,
      textHidden: text.hidden,
      nluHidden: nlu.hidden,
      where: `${where}.fusion`,
    };
    const fusion = reg.create('fusion', fId, fCfg, fctx, `${where}.fusion`);
    made.push(fusion);
    return assemble(s, tokenizer, { text, image, nlu, fusion }, teacher);
  } catch (e) {
    for (const m of made) m.dispose();
    throw e;
  }
}

function assemble(
  spec: ModelSpec,
  tokenizer: Tokenizer,
  parts: UnifiedModel['parts'],
  teacher?: TextEncoder,
): UnifiedModel {
  const { text, image, nlu, fusion } = parts;
  const modules: Record<ModelPart, tf.Variable[]> = {
    text: text.variables(),
    image: image.variables(),
    nlu: nlu.variables(),
    fusion: fusion.variables(),
  };
  let disposed = false;
  return {
    dim: spec.dim,
    modules,
    tokenizer,
    spec,
    parts,
    encodeText: (batch, training) => text.encode(batch, { training }).embedding,
    encodeCalls(calls) {
      const runs = calls.flatMap((c, i) => (c.kind === 'nlu' || (c.kind === 'query' && c.useNlu) ? [i] : []));
      const outs = new Map(
        zip(
          runs,
          atOnce(calls, runs, nlu.encodeMany?.bind(nlu), (c) => nlu.encode(c.batch, { training: c.training })),
        ),
      );
      const passes = calls.flatMap((c, i) => (c.kind === 'nlu' ? [] : [i]));
      const fuseOf = (i: number) => {
        const out = outs.get(i);
        return out && fusion.usesNlu && fusion.early ? fusion.early(out) : undefined;
      };
      const embeddings = new Map(
        zip(
          passes,
          atOnce(
            calls,
            passes,
            text.encodeMany && ((batches, o) => text.encodeMany!(batches, { ...o, fuse: passes.map(fuseOf) })),
            (c, i) => text.encode(c.batch, { training: c.training, fuse: fuseOf(i) }).embedding,
          ),
        ),
      );
      return calls.map((c, i): ModelCallResult => {
        if (c.kind === 'nlu') return outs.get(i)!;
        const embedding = embeddings.get(i)!;
        if (c.kind === 'text') return embedding;
        const out = outs.get(i);
        if (!out) return { embedding };
        return { embedding: fusion.usesNlu && fusion.late ? fusion.late(embedding, out) : embedding, nlu: out };
      });
    },
    encodeImage: (images, training, meanwhile) =>
      image.encode(images, meanwhile ? { training, meanwhile } : { training }),
    runNlu: (batch, training) => nlu.encode(batch, { training }),
    ...(teacher
      ? { teacher, encodeTeacher: (batch: EncodedBatch) => teacher.encode(batch, { training: false }).embedding }
      : {}),
    encodeQuery: ((batch: EncodedBatch, training: boolean, useNlu = true) =>
      tidyRecord((): { embedding: tf.Tensor2D; nlu?: NluOutput } => {
        if (!useNlu) return { embedding: text.encode(batch, { training }).embedding };
        const out = nlu.encode(batch, { training });
        if (!fusion.usesNlu) return { embedding: text.encode(batch, { training }).embedding, nlu: out };
        let embedding = text.encode(batch, { training, fuse: fusion.early?.(out) }).embedding; // (B, D)
        if (fusion.late) embedding = fusion.late(embedding, out);
        return { embedding, nlu: out };
      })) as UnifiedModel['encodeQuery'],
    flopsPerSample() {
      const T = tokenizer.maxLength;
      const S = image.imageSize;
      return {
        text: text.flops([1, T]),
        image: image.flops([1, S, S, 3]),
        nlu: nlu.flops([1, T]),
        fusion: fusion.flops([1, T]),
      };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const p of [text, image, nlu, fusion, teacher]) p?.dispose();
    },
  };
}

/**
 * The results of calls[i] for i in `which`, in order: one `many` call when the encoder has it and they share a mode,
 * else `one` on each in turn (the same values and gradients: TextEncoder.encodeMany).
 */
function atOnce<T>(
  calls: readonly ModelCall[],
  which: readonly number[],
  many: ((batches: EncodedBatch[], opts: { training: boolean }) => T[]) | undefined,
  one: (call: ModelCall, i: number) => T,
): T[] {
  const training = calls[which[0] ?? 0]?.training ?? false;
  if (many && which.every((i) => calls[i]!.training === training))
    return many(
      which.map((i) => calls[i]!.batch),
      { training },
    );
  return which.map((i) => one(calls[i]!, i));
}

const zip = <A, B>(a: readonly A[], b: readonly B[]) => a.map((x, i) => [x, b[i]!] as [A, B]);
