import { minRowsToSplit, splitRun } from '../backend/simd/pool';
import type { WasmBackend } from '../backend/wasm-heap';

/**
 * Token packing's two copies (nn/packing.ts) on byte addresses, so that a batch's rows can be read from or written
 * to where they lie in a larger tensor. Both kernels.c passes are shared with the pool's threads by token ranges.
 */

/** out (tokens, h) = rows idx[0 .. tokens) of x (rows of h floats): pack_rows. `idx` addresses int32 positions. */
export function packRowsAt(be: WasmBackend, x: number, idx: number, tokens: number, out: number, h: number): void {
  splitRun(be, 'pack_rows', tokens, 1, minRowsToSplit(h), (i0, n) => [x, idx + 4 * i0, out + 4 * i0 * h, n, h]);
}

/**
 * out (rows, h) = y's rows (tokens, h) at positions idx (`pos` the same in JS, ascending), zeros elsewhere, y + 0 as
 * tf.scatterND's sum into zeros gives (a −0 comes out +0): unpack_rows, each thread the rows from its first token's
 * position to the next thread's.
 */
export function unpackRowsAt(
  be: WasmBackend,
  y: number,
  idx: number,
  pos: Int32Array,
  rows: number,
  out: number,
  h: number,
): void {
  const tokens = pos.length;
  splitRun(be, 'unpack_rows', tokens, 1, minRowsToSplit(h), (i0, n) => [
    y,
    idx,
    out,
    i0,
    i0 + n,
    i0 === 0 ? 0 : pos[i0]!,
    i0 + n === tokens ? rows : pos[i0 + n]!,
    h,
  ]);
}
