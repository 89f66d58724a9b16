/**
 * kernels.c gemm's operands: c (m, n) = a·b with a's (i, k) at a + 4·(i·sai + k·sak), b (k, n) and c row-major with
 * row strides ldb, ldc (heap byte addresses, sizes and strides in floats).
 */
export type GemmArgs = [
  a: number,
  sai: number,
  sak: number,
  b: number,
  ldb: number,
  c: number,
  ldc: number,
  m: number,
  n: number,
  k: number,
];

/** kernels.c gemm_batch's operands: `count` products, operand i at a + 4·i·sa, b + 4·i·sb, c + 4·i·sc (b, c: n wide). */
export type GemmBatchArgs = [
  a: number,
  sai: number,
  sak: number,
  b: number,
  c: number,
  m: number,
  n: number,
  k: number,
  count: number,
  sa: number,
  sb: number,
  sc: number,
];
