import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUnifiedModel, type UnifiedModel } from '../../../src/core/model/unified';
import type { TrainModel } from '../../../src/core/model/train-model';
import { stableName } from '../../../src/core/nn';
import { createRegistry } from '../../../src/plugins';
import {
  gradientNorms,
  leakedTensors,
  maxAbsDiff,
  probeScalar,
  randomImages,
  rng,
  rowNorms,
  useBackend,
} from '../../helpers/contract';

const registry = createRegistry({ warn: () => undefined });
const tiny = (fusion: object = { id: 'cross-attention', heads: 2 }, over: object = {}) => ({
  dim: 8,
  tokenizer: { id: 'word-ngram', buckets: 64, pieces: 4, maxLength: 8 },
  text: { id: 'text-transformer', hidden: 16, layers: 1, heads: 2 },
  image: { id: 'image-vit', imageSize: 8, patchSize: 4, hidden: 16, layers: 1, heads: 2 },
  nlu: { id: 'nlu-transformer', hidden: 12, layers: 1, heads: 2 },
  fusion,
  ...over,
});
const build = (spec: object = tiny(), seed = 1) =>
  createUnifiedModel(spec, { numIntents: 3, numSlotLabels: 5, seed, registry });
const queries = ['play jazz in the kitchen', 'weather tomorrow', 'wake me up at seven'];
let images: tf.Tensor4D;

beforeAll(async () => {
  await useBackend('wasm');
  images = randomImages(rng(1), 2, 8);
});

/** Runs f on a model, disposes it. */
async function withModel<T>(spec: object, f: (m: UnifiedModel) => T, seed = 1): Promise<T> {
  const m = await build(spec, seed);
  try {
    return f(m);
  } finally {
    m.dispose();
  }
}

/** Adds seeded noise (std 0.5) to the variable with this stable name. (Not a constant: LayerNorm outputs sum to 0.) */
function perturb(m: UnifiedModel, name: string): void {
  const v = Object.values(m.modules)
    .flat()
    .find((x) => stableName(x) === name)!;
  v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.5, 'float32', 11))));
}

describe('createUnifiedModel', () => {
  it('encodes text, images, queries and NLU with the declared shapes, unit rows, and one module per variable', async () => {
    await withModel(tiny(), (m) => {
      const trainable: TrainModel = m; // the trainer's view of a model (compile-time check)
      expect(trainable.modules).toBe(m.modules);
      const b = m.tokenizer.encode(queries);
      const t = m.encodeText(b, false);
      const i = m.encodeImage(images, false);
      const q = m.encodeQuery(b, false);
      expect([t.shape, i.shape, q.embedding.shape]).toEqual([
        [3, 8],
        [2, 8],
        [3, 8],
      ]);
      expect([...rowNorms(t), ...rowNorms(i), ...rowNorms(q.embedding)].every((n) => Math.abs(n - 1) < 1e-5)).toBe(
        true,
      );
      expect(q.nlu.intentLogits.shape).toEqual([3, 3]);
      expect(q.nlu.slotLogits.shape).toEqual([3, b.length, 5]);
      expect(m.dim).toBe(8);
      for (const [part, vars] of Object.entries(m.modules)) {
        expect(vars.length, part).toBeGreaterThan(0);
        for (const v of vars) expect(stableName(v).startsWith(`${part}/`), v.name).toBe(true);
      }
      const all = Object.values(m.modules).flat();
      expect(new Set(all).size).toBe(all.length);
      const flops = m.flopsPerSample();
      expect(Object.values(flops).every((f) => f > 0)).toBe(true);
      tf.dispose([t, i, q as unknown as tf.TensorContainer]);
    });
  });

  it('gradients reach every variable of every module', async () => {
    await withModel(tiny(), (m) => {
      const b = m.tokenizer.encode(queries);
      const c = m.tokenizer.encode(['a red apple', 'two dogs']);
      const norms = gradientNorms(Object.values(m.modules).flat(), () => {
        const q = m.encodeQuery(b, true);
        return probeScalar([
          m.encodeText(c, true),
          m.encodeImage(images, true),
          q.embedding,
          q.nlu.intentLogits,
          q.nlu.slotLogits,
        ]);
      });
      expect([...norms].filter(([, n]) => !(n > 0)).map(([k]) => k)).toEqual([]);
    });
  });

  it('cross-attention: queries depend on the NLU module; useNlu false gives the plain text embedding without running NLU', async () => {
    await withModel(tiny(), (m) => {
      const b = m.tokenizer.encode(queries);
      const text = m.encodeText(b, false);
      const plain = m.encodeQuery(b, false, false);
      const fused = m.encodeQuery(b, false);
      expect(maxAbsDiff(plain.embedding, text)).toBe(0);
      expect(plain.nlu).toBeUndefined(); // the NLU encoder does not run for a plain query
      expect(fused.nlu.intentLogits.shape).toEqual([3, 3]);
      expect(maxAbsDiff(fused.embedding, text)).toBeGreaterThan(1e-4);
      perturb(m, 'nlu/semantic/w');
      const after = m.encodeQuery(b, false);
      const text2 = m.encodeText(b, false);
      expect(maxAbsDiff(after.embedding, fused.embedding)).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(text2, text)).toBe(0);
      tf.dispose([
        text,
        text2,
        plain as unknown as tf.TensorContainer,
        fused as unknown as tf.TensorContainer,
        after as unknown as tf.TensorContainer,
      ]);
    });
  });

  it('none: the query embedding is the text embedding whatever the NLU module holds; late: it moves with NLU', async () => {
    await withModel(tiny({ id: 'none' }), (m) => {
      expect(m.modules.fusion).toEqual([]);
      const b = m.tokenizer.encode(queries);
      const text = m.encodeText(b, false);
      perturb(m, 'nlu/semantic/w');
      perturb(m, 'nlu/intent/embedding');
      const q = m.encodeQuery(b, false);
      expect(maxAbsDiff(q.embedding, text)).toBe(0);
      tf.dispose([text, q as unknown as tf.TensorContainer]);
    });
    await withModel(tiny({ id: 'late' }), (m) => {
      const b = m.tokenizer.encode(queries);
      const before = m.encodeQuery(b, false).embedding;
      perturb(m, 'nlu/semantic/b');
      const after = m.encodeQuery(b, false).embedding;
      expect(maxAbsDiff(before, after)).toBeGreaterThan(1e-4);
      tf.dispose([before, after]);
    });
  });

  it("a text's embedding does not depend on its batch-mates (padding is masked everywhere)", async () => {
    await withModel(tiny(), (m) => {
      const alone = m.encodeQuery(m.tokenizer.encode(['weather tomorrow']), false).embedding;
      const inBatch = m.encodeQuery(
        m.tokenizer.encode(['weather tomorrow', 'please play some very loud music now']),
        false,
      ).embedding;
      expect(maxAbsDiff(alone, tf.slice(inBatch, [0, 0], [1, 8]))).toBeLessThan(1e-5);
      tf.dispose([alone, inBatch]);
    });
  });

  it('is a function of its seed: same seed → identical outputs, other seed → other outputs', async () => {
    const a = await build();
    const b = await build();
    const c = await build(tiny(), 2);
    const batch = a.tokenizer.encode(queries);
    const [ea, eb, ec] = [a, b, c].map((m) => m.encodeQuery(batch, false).embedding);
    expect(maxAbsDiff(ea!, eb!)).toBe(0);
    expect(maxAbsDiff(ea!, ec!)).toBeGreaterThan(1e-3);
    tf.dispose([ea!, eb!, ec!]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('freezing: gradients over the trained modules only leave the frozen modules bit-identical after an update', async () => {
    await withModel(tiny(), (m) => {
      const b = m.tokenizer.encode(queries);
      const trained = [...m.modules.text, ...m.modules.fusion];
      const frozen = [...m.modules.nlu, ...m.modules.image];
      const snap = (vs: tf.Variable[]) => vs.map((v) => Float32Array.from(v.dataSync()));
      const frozenBefore = snap(frozen);
      const trainedBefore = snap(trained);
      const { value, grads } = tf.variableGrads(
        () => probeScalar([m.encodeQuery(b, true).embedding, m.encodeImage(images, true)]),
        trained,
      );
      expect(Object.keys(grads).sort()).toEqual(trained.map((v) => v.name).sort());
      for (const v of trained) v.assign(tf.tidy(() => tf.sub(v, tf.mul(grads[v.name]!, 0.1))));
      tf.dispose([value, ...Object.values(grads)]);
      snap(frozen).forEach((after, i) => expect(after, frozen[i]!.name).toEqual(frozenBefore[i]));
      expect(snap(trained).some((after, i) => after.some((x, j) => x !== trainedBefore[i]![j]))).toBe(true);
    });
  });

  it('leaks no tensors and no variables: build, encode, gradients, dispose', async () => {
    const vars = () => Object.keys(tf.engine().registeredVariables).length;
    const v0 = vars();
    const n = await leakedTensors(async () => {
      const m = await build();
      const b = m.tokenizer.encode(queries);
      tf.dispose([
        m.encodeText(b, true),
        m.encodeImage(images, true),
        m.encodeQuery(b, true) as unknown as tf.TensorContainer,
        m.runNlu(b, false) as unknown as tf.TensorContainer,
      ]);
      gradientNorms(Object.values(m.modules).flat(), () => probeScalar([m.encodeQuery(b, true).embedding]));
      m.dispose();
      m.dispose(); // idempotent
    });
    expect(n).toBe(0);
    expect(vars()).toBe(v0);
  });

  it('fails with the config path and frees what it built when a part does not fit', async () => {
    const v0 = Object.keys(tf.engine().registeredVariables).length;
    await expect(build(tiny({ id: 'cross-attention', heads: 3 }))).rejects.toThrow(
      /^model\.fusion\.heads: 3 heads must divide the text encoder's hidden width 16$/,
    );
    await expect(build(tiny(undefined, { text: { id: 'text-transformer', layer: 2 } }))).rejects.toThrow(
      /^model\.text\.layer: unknown field; valid fields here: .*layers.*; did you mean 'layers'\?$/,
    );
    expect(Object.keys(tf.engine().registeredVariables).length).toBe(v0);
  });

  it('wasm (what trains) matches the cpu backend (the reference) on outputs and gradients', async () => {
    const m = await build(tiny(), 5);
    try {
      const b = m.tokenizer.encode(queries);
      const all = Object.values(m.modules).flat();
      const run = () => {
        const q = m.encodeQuery(b, false);
        const out = {
          q: Array.from(q.embedding.dataSync()),
          i: Array.from(m.encodeImage(images, false).dataSync()),
          s: Array.from(q.nlu.slotLogits.dataSync()),
        };
        tf.dispose(q as unknown as tf.TensorContainer);
        const g = gradientNorms(all, () =>
          probeScalar([m.encodeQuery(b, true).embedding, m.encodeImage(images, true), m.runNlu(b, true).slotLogits]),
        );
        return { ...out, g: [...g.values()] };
      };
      const wasm = run();
      await useBackend('cpu');
      const cpu = run();
      for (const k of ['q', 'i', 's', 'g'] as const) {
        const scale = Math.max(...cpu[k].map(Math.abs));
        const err = Math.max(...wasm[k].map((v, j) => Math.abs(v - cpu[k][j]!))) / scale;
        expect(err, k).toBeLessThan(1e-4);
      }
    } finally {
      await useBackend('wasm');
      m.dispose();
    }
  });

  it('builds the default spec and reports its FLOPs per sample', async () => {
    await withModel({}, (m) => {
      const f = m.flopsPerSample();
      // defaults: T 32, S 32; see the encoders' doc blocks
      expect(Math.round(f.text / 1e5) / 10).toBe(17.9);
      expect(Math.round(f.image / 1e5) / 10).toBe(10.0);
      expect(f.nlu).toBeGreaterThan(f.text);
      expect(f.fusion).toBeGreaterThan(0);
      const b = m.tokenizer.encode(['hello world']);
      const q = m.encodeQuery(b, false);
      expect(q.embedding.shape).toEqual([1, 128]);
      tf.dispose(q as unknown as tf.TensorContainer);
    });
  });
});
