// unir's wasm SIMD kernels (128-bit), compiled by scripts/build-simd.sh into kernels-wasm.ts. They run in a
// module of their own that imports tfjs-backend-wasm's memory, so they read and write tensors in place by heap
// address. Contract: no globals, no stack, no allocation, no libc — the module owns no memory of its own (the
// build checks that it has no data segments). Pointers are byte addresses of float32 arrays; sizes count floats.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

// Σ x[i]², accumulated in float64.
EXPORT("sumsq") double sumsq(const float* x, int n) {
  v128_t s0 = wasm_f64x2_splat(0), s1 = wasm_f64x2_splat(0);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    v128_t lo = wasm_f64x2_promote_low_f32x4(v);
    v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(lo, lo));
    s1 = wasm_f64x2_add(s1, wasm_f64x2_mul(hi, hi));
  }
  v128_t s = wasm_f64x2_add(s0, s1);
  double r = wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
  for (; i < n; i++) r += (double)x[i] * (double)x[i];
  return r;
}

// One AdamW step of n parameters (float32 throughout, as the composed tfjs ops):
//   g' = scale·g;  m1 = β1·m + c1·g';  v1 = β2·v + c2·g'²;     c1 = 1-β1, c2 = 1-β2 (rounded once, by the caller)
//   p1 = keep·p - lr·((m1/bc1) / (√(v1/bc2) + ε))          keep = 1 - lr·λ (or 1), bc = bias corrections
// Outputs may alias their own input (p1 = p, m1 = m, v1 = v); nothing else may overlap.
EXPORT("adamw") void adamw(const float* p, const float* g, const float* m, const float* v, float* p1, float* m1, float* v1, int n,
                           float beta1, float beta2, float c1, float c2, float eps, float lr, float bc1, float bc2, float keep, float scale) {
  const v128_t vb1 = wasm_f32x4_splat(beta1), vb2 = wasm_f32x4_splat(beta2), vc1 = wasm_f32x4_splat(c1), vc2 = wasm_f32x4_splat(c2);
  const v128_t veps = wasm_f32x4_splat(eps), vlr = wasm_f32x4_splat(lr), vbc1 = wasm_f32x4_splat(bc1), vbc2 = wasm_f32x4_splat(bc2);
  const v128_t vkeep = wasm_f32x4_splat(keep), vscale = wasm_f32x4_splat(scale);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_f32x4_mul(wasm_v128_load(g + i), vscale);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(vb1, wasm_v128_load(m + i)), wasm_f32x4_mul(vc1, gi));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(vb2, wasm_v128_load(v + i)), wasm_f32x4_mul(vc2, wasm_f32x4_mul(gi, gi)));
    v128_t den = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, vbc2)), veps);
    v128_t upd = wasm_f32x4_div(wasm_f32x4_div(mi, vbc1), den);
    v128_t pi = wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(p + i), vkeep), wasm_f32x4_mul(vlr, upd));
    wasm_v128_store(m1 + i, mi);
    wasm_v128_store(v1 + i, vi);
    wasm_v128_store(p1 + i, pi);
  }
  for (; i < n; i++) {
    float gi = g[i] * scale;
    float mi = beta1 * m[i] + c1 * gi;
    float vi = beta2 * v[i] + c2 * (gi * gi);
    float den = __builtin_sqrtf(vi / bc2) + eps;
    float pi = p[i] * keep - lr * ((mi / bc1) / den);
    m1[i] = mi;
    v1[i] = vi;
    p1[i] = pi;
  }
}

#define SPLAT(ptr) wasm_f32x4_splat(*(ptr))
#define FMA(acc, x, y) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(x, y))

// c(M, N) = a·b, c row-major and contiguous, b row-major (K, N) contiguous; a's element (i, k) is at
// a[i·sai + k·sak]: a (M, K) row-major is (sai, sak) = (K, 1); aᵀ of an a stored (K, M) is (1, M).
// Blocks of 4 rows × 8 columns in registers; column panels outermost so a (K × 8) panel of b stays in L1.
EXPORT("gemm") void gemm(const float* a, int sai, int sak, const float* b, float* c, int M, int N, int K) {
  int j = 0;
  for (; j + 8 <= N; j += 8) {
    int i = 0;
    for (; i + 4 <= M; i += 4) {
      const float* a0 = a + i * sai;
      const float *a1 = a0 + sai, *a2 = a1 + sai, *a3 = a2 + sai;
      const float* bp = b + j;
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (int k = 0; k < K; k++) {
        v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
        bp += N;
        v128_t x0 = SPLAT(a0), x1 = SPLAT(a1), x2 = SPLAT(a2), x3 = SPLAT(a3);
        a0 += sak; a1 += sak; a2 += sak; a3 += sak;
        FMA(c00, x0, b0); FMA(c01, x0, b1);
        FMA(c10, x1, b0); FMA(c11, x1, b1);
        FMA(c20, x2, b0); FMA(c21, x2, b1);
        FMA(c30, x3, b0); FMA(c31, x3, b1);
      }
      float* cp = c + i * N + j;
      wasm_v128_store(cp, c00); wasm_v128_store(cp + 4, c01); cp += N;
      wasm_v128_store(cp, c10); wasm_v128_store(cp + 4, c11); cp += N;
      wasm_v128_store(cp, c20); wasm_v128_store(cp + 4, c21); cp += N;
      wasm_v128_store(cp, c30); wasm_v128_store(cp + 4, c31);
    }
    for (; i < M; i++) {
      const float* a0 = a + i * sai;
      const float* bp = b + j;
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00;
      for (int k = 0; k < K; k++) {
        v128_t x0 = SPLAT(a0);
        a0 += sak;
        FMA(c00, x0, wasm_v128_load(bp)); FMA(c01, x0, wasm_v128_load(bp + 4));
        bp += N;
      }
      wasm_v128_store(c + i * N + j, c00);
      wasm_v128_store(c + i * N + j + 4, c01);
    }
  }
  for (; j + 4 <= N; j += 4) {
    for (int i = 0; i < M; i++) {
      const float* a0 = a + i * sai;
      const float* bp = b + j;
      v128_t c00 = wasm_f32x4_splat(0);
      for (int k = 0; k < K; k++) {
        FMA(c00, SPLAT(a0), wasm_v128_load(bp));
        a0 += sak;
        bp += N;
      }
      wasm_v128_store(c + i * N + j, c00);
    }
  }
  for (; j < N; j++) {
    for (int i = 0; i < M; i++) {
      const float* a0 = a + i * sai;
      float s = 0;
      for (int k = 0; k < K; k++) s += a0[k * sak] * b[k * N + j];
      c[i * N + j] = s;
    }
  }
}
