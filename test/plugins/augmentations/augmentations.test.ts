import { describe, expect, it } from 'vitest';
import { augmentPipeline, type AugmentFn, type ImageBatch } from '../../../src/core/augment/augmentation';
import { Rng } from '../../../src/core/rng';
import { createRegistry } from '../../../src/plugins';

const registry = createRegistry({ warn: () => {} });
const make = (id: string, cfg: Record<string, unknown> = {}) => registry.create('augmentation', id, cfg);

/** n random S×S RGB images in [0, 1] (fixed seed). */
function batch(n = 3, S = 8, seed = 5): ImageBatch {
  const r = new Rng(seed);
  return { n, size: S, data: Float32Array.from({ length: n * S * S * 3 }, () => r.next()) };
}
const apply = (f: AugmentFn, b: ImageBatch, seed = 1) => {
  f(b, new Rng(seed));
  return b;
};
const px = (b: ImageBatch, i: number, y: number, x: number, c: number) =>
  b.data[((i * b.size + y) * b.size + x) * 3 + c]!;

describe('augmentations', () => {
  it('a pipeline is deterministic in its key and changes with it', () => {
    const pipe = augmentPipeline([
      make('stroke-width'),
      make('random-affine', { rotation: 30 }),
      make('color-jitter', { hue: 0.2 }),
      make('grayscale'),
      make('cutout'),
      make('outline'),
    ]);
    const [a, b, c] = [batch(), batch(), batch()];
    pipe(a, '1/image-caption/0/0');
    pipe(b, '1/image-caption/0/0');
    pipe(c, '1/image-caption/0/32');
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(batch().data));
    for (const v of a.data) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('grayscale (p 1) sets R = G = B = their mean', () => {
    const [src, out] = [batch(), apply(make('grayscale', { p: 1 }), batch())];
    for (let i = 0; i < src.data.length; i += 3) {
      const m = (src.data[i]! + src.data[i + 1]! + src.data[i + 2]!) / 3;
      for (let c = 0; c < 3; c++) expect(out.data[i + c]).toBeCloseTo(m, 6);
    }
  });

  it('cutout (p 1) paints exactly one side × side square per image and leaves the rest', () => {
    const [src, out] = [batch(2, 8), apply(make('cutout', { p: 1, size: 0.25, fill: 1 }), batch(2, 8))];
    for (let i = 0; i < 2; i++) {
      const changed: [number, number][] = [];
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) if (px(out, i, y, x, 0) !== px(src, i, y, x, 0)) changed.push([y, x]);
      expect(changed.length).toBe(4);
      const ys = changed.map(([y]) => y),
        xs = changed.map(([, x]) => x);
      expect(Math.max(...ys) - Math.min(...ys)).toBe(1);
      expect(Math.max(...xs) - Math.min(...xs)).toBe(1);
      for (const [y, x] of changed) expect(px(out, i, y, x, 2)).toBe(1);
    }
  });

  for (const [mode, pick] of [
    ['thin', Math.max],
    ['thick', Math.min],
  ] as const) {
    for (const r of [1, 2]) {
      const side = 2 * r + 1;
      it(`stroke-width ${mode} (p 1, r ${r}) equals a brute-force ${side}×${side} ${mode === 'thin' ? 'max' : 'min'} filter per channel`, () => {
        const cfg = { thin: mode === 'thin' ? 1 : 0, thick: mode === 'thick' ? 1 : 0, radius: r };
        const [src, out] = [batch(2, 7), apply(make('stroke-width', cfg), batch(2, 7))];
        for (let i = 0; i < 2; i++)
          for (let y = 0; y < 7; y++)
            for (let x = 0; x < 7; x++)
              for (let c = 0; c < 3; c++) {
                const win: number[] = [];
                for (let dy = -r; dy <= r; dy++)
                  for (let dx = -r; dx <= r; dx++)
                    if (y + dy >= 0 && y + dy < 7 && x + dx >= 0 && x + dx < 7) win.push(px(src, i, y + dy, x + dx, c));
                expect(px(out, i, y, x, c)).toBe(pick(...win));
              }
      });
    }
  }

  it('random-affine: the identity transform keeps every pixel; a certain flip mirrors; a zoom-out to 1/2 puts white at the corners', () => {
    const still = { scale: [1, 1], aspect: [1, 1], rotation: 0, translate: 0 };
    expect(Array.from(apply(make('random-affine', still), batch()).data)).toEqual(Array.from(batch().data));
    const [src, flipped] = [batch(), apply(make('random-affine', { ...still, flip: 1 }), batch())];
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) expect(px(flipped, 0, y, x, 1)).toBeCloseTo(px(src, 0, y, 7 - x, 1), 6);
    const small = apply(make('random-affine', { ...still, scale: [0.5, 0.5] }), batch());
    for (const [y, x] of [
      [0, 0],
      [0, 7],
      [7, 0],
      [7, 7],
    ])
      expect(px(small, 0, y!, x!, 0)).toBe(1);
  });

  it("color-jitter: neutral settings keep the image; saturation 0 greys it; a certain shuffle permutes each pixel's channels", () => {
    const neutral = { saturation: [1, 1], hue: 0, channelShuffle: 0, contrast: 0, brightness: 0 };
    const src = batch();
    const same = apply(make('color-jitter', neutral), batch());
    same.data.forEach((v, i) => expect(v).toBeCloseTo(src.data[i]!, 6));
    const grey = apply(make('color-jitter', { ...neutral, saturation: [0, 0] }), batch());
    for (let i = 0; i < grey.data.length; i += 3) expect(grey.data[i]).toBeCloseTo(grey.data[i + 2]!, 6);
    const shuffled = apply(make('color-jitter', { ...neutral, channelShuffle: 1 }), batch());
    for (let i = 0; i < src.data.length; i += 3) {
      const sorted = (b: ImageBatch) => [b.data[i]!, b.data[i + 1]!, b.data[i + 2]!].sort();
      sorted(shuffled).forEach((v, c) => expect(v).toBeCloseTo(sorted(src)[c]!, 6));
    }
  });

  it('outline (p 1): exactly the pixels whose right or lower neighbour differs by more than the threshold turn grey ink', () => {
    const S = 6;
    const white = (): ImageBatch => ({ n: 1, size: S, data: new Float32Array(S * S * 3).fill(1) });
    const src = white();
    for (let y = 2; y < 4; y++) for (let x = 1; x < 4; x++) src.data[(y * S + x) * 3 + 2] = 0.5; // a yellow 2×3 patch
    src.data[(5 * S + 5) * 3] = 0.9; // a faint pixel, below the threshold
    const out = apply(make('outline', { p: 1, threshold: 0.2, ink: [0.1, 0.1] }), { ...src, data: src.data.slice() });
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        const b = (yy: number, xx: number) => px(src, 0, yy, xx, 2);
        const edge =
          (x + 1 < S && Math.abs(b(y, x) - b(y, x + 1)) > 0.2) || (y + 1 < S && Math.abs(b(y, x) - b(y + 1, x)) > 0.2);
        for (let c = 0; c < 3; c++) expect(px(out, 0, y, x, c)).toBeCloseTo(edge ? 0.1 : px(src, 0, y, x, c), 6);
      }
    // left of, above, and the patch's own right column and bottom row: 2 + 3 + 2 + 3 - 1 (the shared corner)
    let inked = 0;
    for (let q = 0; q < S * S; q++) if (Math.abs(out.data[3 * q]! - 0.1) < 1e-6) inked++;
    expect(inked).toBe(9);
    expect(Array.from(apply(make('outline', { p: 0 }), batch()).data)).toEqual(Array.from(batch().data));
  });

  it('rejects bad configs with the field', () => {
    expect(() => make('stroke-width', { thin: 0.7, thick: 0.6 })).toThrow(/thin \+ thick must be ≤ 1/);
    expect(() => make('random-affine', { scale: [1.2, 0.8] })).toThrow(/scale: expected \[low, high\] with low ≤ high/);
    expect(() => make('cutout', { size: 0 })).toThrow(/size/);
    expect(() => make('outline', { ink: [0.5, 0.2] })).toThrow(/ink: expected \[low, high\] with low ≤ high/);
  });
});

describe('augmentations on the wasm heap (kernels.c) against their JS loops', () => {
  // each augmentation at settings that exercise every branch; images with exact 0s, 1s and ties for the edges
  const CASES: [string, Record<string, unknown>][] = [
    ['outline', { p: 0.7, threshold: 0.2 }],
    ['stroke-width', { thin: 0.4, thick: 0.4, radius: 1 }],
    ['stroke-width', { thin: 0.3, thick: 0.3, radius: 2 }],
    ['random-affine', { p: 0.9, scale: [0.5, 1.6], rotation: 40, shear: 10, translate: 0.2, flip: 0.5 }],
    ['color-jitter', { p: 0.9, hue: 0.3, channelShuffle: 0.5, contrast: 0.6, brightness: 0.4 }],
    ['color-jitter', { p: 1, hue: 0 }],
    ['grayscale', { p: 0.6 }],
  ];
  const images = (n: number, S: number) => {
    const b = batch(n, S, 11);
    for (let i = 0; i < b.data.length; i += 7) b.data[i] = i % 2 ? 0 : 1; // flat runs: exact ties, saturated values
    return b;
  };
  const bits = (b: ImageBatch) => Array.from(new Uint32Array(b.data.buffer));

  for (const threads of [1, 2]) {
    it(`${threads} thread(s): the same bits as on the cpu backend (the JS loops), whole pipeline included`, async () => {
      const { initBackend } = await import('../../../src/core/backend');
      const { setSplitLimits } = await import('../../../src/core/backend/simd/pool');
      const tf = await import('@tensorflow/tfjs-core');
      const on = async (backend: 'cpu' | 'wasm', f: () => ImageBatch) => {
        await initBackend({ backend, threads: backend === 'wasm' ? threads : 1, quiet: true });
        if (backend === 'wasm' && threads > 1) setSplitLimits({ macs: 1, elements: 1 }); // split every batch
        try {
          return f();
        } finally {
          setSplitLimits();
        }
      };
      await initBackend({ backend: 'wasm', threads, quiet: true });
      const before = tf.memory().numTensors;
      for (const [id, cfg] of CASES) {
        let changed = 0;
        for (const [n, S] of [
          [5, 9],
          [1, 24],
          [3, 3], // smaller than a radius-2 window
        ] as const) {
          const js = await on('cpu', () => apply(make(id, cfg), images(n, S), 3));
          const heap = await on('wasm', () => apply(make(id, cfg), images(n, S), 3));
          expect(bits(heap), `${id} ${JSON.stringify(cfg)} n ${n} S ${S}`).toEqual(bits(js));
          if (bits(heap).join() !== bits(images(n, S)).join()) changed++;
        }
        expect(changed, `${id} changed no image`).toBeGreaterThan(0);
      }
      const pipe = () => augmentPipeline(CASES.map(([id, cfg]) => make(id, cfg)));
      const js = await on('cpu', () => {
        const b = images(12, 24);
        pipe()(b, 'k');
        return b;
      });
      const heap = await on('wasm', () => {
        const b = images(12, 24);
        pipe()(b, 'k');
        return b;
      });
      expect(bits(heap)).toEqual(bits(js));
      expect(tf.engine().backendName).toBe('wasm');
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
