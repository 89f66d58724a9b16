// unir's gemm, GELU, attention core, blocked convolution and AdamW in native x86 code (AVX-512 or AVX2, chosen at
// load), a Node-API addon over the wasm backend's heap. Built on the machine at hand by native.ts (cc -O3 -shared;
// no node-gyp, no headers: the few Node-API calls are declared below). Each export computes the kernels.c export of
// its name to the bit (GELU, attention, convolution and AdamW: see their sections). gemm / gemm_batch: every c
// element is one chain over k in order 0, 1, …, K - 1 starting from +0 — a fused multiply-add per step for the
// columns kernels.c handles in 4-wide vectors (j < 4·⌊N/4⌋) when `fused` (the relaxed-SIMD build), a multiply then an
// add otherwise and for the last N mod 4 columns (kernels.c's scalar tail, which wasm cannot fuse). Vector width,
// blocking and packing change which elements are computed together, never the order of one element's sum. Compile
// with -ffp-contract=off.
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

typedef struct napi_env__* napi_env;
typedef struct napi_value__* napi_value;
typedef struct napi_callback_info__* napi_callback_info;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env, napi_callback_info);
napi_status napi_get_cb_info(napi_env, napi_callback_info, size_t*, napi_value*, napi_value*, void**);
napi_status napi_get_typedarray_info(napi_env, napi_value, int*, size_t*, void**, napi_value*, size_t*);
napi_status napi_get_value_double(napi_env, napi_value, double*);
napi_status napi_create_function(napi_env, const char*, size_t, napi_callback, void*, napi_value*);
napi_status napi_set_named_property(napi_env, napi_value, const char*, napi_value);
napi_status napi_create_string_utf8(napi_env, const char*, size_t, napi_value*);
napi_status napi_throw_error(napi_env, const char*, const char*);

#define KB 256 // inner-dimension block: a packed b panel (KB × NR floats) stays in L1 / L2
#define MB 96  // rows of a per block
#define NB 512 // columns of b packed at a time (KB × NB floats: 512 KiB)

// ---- scalar tail (columns ≥ 4·⌊N/4⌋, and every column of the unfused build): s = s + a·b, two roundings -------
static void tail_cols(const float* a, long sai, long sak, const float* b, long ldb, float* c, long ldc, int M, int j0,
                      int j1, int K, int acc) {
  for (int i = 0; i < M; i++)
    for (int j = j0; j < j1; j++) {
      const float* ai = a + i * sai;
      float s = acc ? c[i * ldc + j] : 0;
      for (int k = 0; k < K; k++) {
        float p = ai[k * sak] * b[k * ldb + j];
        s = s + p;
      }
      c[i * ldc + j] = s;
    }
}

// The driver of one instruction set S (its micro-kernel microS_impl, NR columns × MR rows):
// - microS: microS_impl specialised (inlined with constant arguments) for full blocks and for the fused / unfused
//   step, so the inner loop has no branch and its accumulators stay in registers;
// - gemmS: b packed one block of KB rows × NB columns at a time (panels of NR columns, zero-padded), then every block
//   of MB rows of a goes over all of its panels: the a block (MB × KB) stays in L2 and each panel in L1.
#define DEFINE_DRIVER(S, TGT, NR, MR)                                                                                  \
  __attribute__((target(TGT))) static void micro##S(const float* a, long sai, long sak, const float* p, float* c,    \
                                                    long ldc, int rows, int w, int K, int acc, int fused) {         \
    if (rows == MR) {                                                                                               \
      if (fused)                                                                                                    \
        micro##S##_impl(a, sai, sak, p, c, ldc, MR, w, K, acc, 1);                                                  \
      else                                                                                                          \
        micro##S##_impl(a, sai, sak, p, c, ldc, MR, w, K, acc, 0);                                                  \
    } else if (fused)                                                                                               \
      micro##S##_impl(a, sai, sak, p, c, ldc, rows, w, K, acc, 1);                                                  \
    else                                                                                                            \
      micro##S##_impl(a, sai, sak, p, c, ldc, rows, w, K, acc, 0);                                                  \
  }                                                                                                                 \
  __attribute__((target(TGT))) static void gemm##S(const float* a, long sai, long sak, const float* b, long ldb,     \
                                                   float* c, long ldc, int M, int N4, int K, int acc, int fused) {  \
    static __thread float pack[KB * NB] __attribute__((aligned(64)));                                               \
    for (int k0 = 0; k0 < K; k0 += KB) {                                                                            \
      const int kb = K - k0 < KB ? K - k0 : KB;                                                                     \
      for (int j0 = 0; j0 < N4; j0 += NB) {                                                                         \
        const int nb = N4 - j0 < NB ? N4 - j0 : NB;                                                                 \
        for (int j = 0; j < nb; j += NR) {                                                                          \
          const int w = nb - j < NR ? nb - j : NR;                                                                  \
          float* panel = pack + (long)j * kb;                                                                       \
          for (int k = 0; k < kb; k++) {                                                                            \
            const float* src = b + (long)(k0 + k) * ldb + j0 + j;                                                   \
            for (int q = 0; q < NR; q++) panel[k * NR + q] = q < w ? src[q] : 0.0f;                                 \
          }                                                                                                         \
        }                                                                                                           \
        for (int i0 = 0; i0 < M; i0 += MB) {                                                                        \
          const int mb = M - i0 < MB ? M - i0 : MB;                                                                 \
          for (int j = 0; j < nb; j += NR) {                                                                        \
            const int w = nb - j < NR ? nb - j : NR;                                                                \
            for (int i = i0; i < i0 + mb; i += MR) {                                                                \
              const int rows = i0 + mb - i < MR ? i0 + mb - i : MR;                                                 \
              micro##S(a + i * sai + (long)k0 * sak, sai, sak, pack + (long)j * kb, c + i * ldc + j0 + j, ldc, rows, \
                       w, kb, acc || k0 > 0, fused);                                                                \
            }                                                                                                       \
          }                                                                                                         \
        }                                                                                                           \
      }                                                                                                             \
    }                                                                                                               \
  }

// ---- AVX-512: 8 rows × 32 columns in registers ----------------------------------------------------------------
#define NR5 32
#define MR5 8
__attribute__((target("avx512f"))) static inline __m512 step5(__m512 acc, __m512 x, __m512 y, int fused) {
  return fused ? _mm512_fmadd_ps(x, y, acc) : _mm512_add_ps(acc, _mm512_mul_ps(x, y));
}

// c[rows, j0 .. j0+w) over k in [0, K) from a packed panel p (K × NR5, zero-padded past w); acc: c holds a partial sum
__attribute__((target("avx512f"), always_inline)) static inline void micro5_impl(const float* a, long sai, long sak, const float* p, float* c,
                                                      long ldc, int rows, int w, int K, int acc, int fused) {
  const __mmask16 m0 = w >= 16 ? 0xffff : (__mmask16)((1u << w) - 1);
  const __mmask16 m1 = w >= 32 ? 0xffff : w > 16 ? (__mmask16)((1u << (w - 16)) - 1) : 0;
  __m512 c0[MR5], c1[MR5];
  for (int r = 0; r < MR5; r++) {
    c0[r] = _mm512_setzero_ps();
    c1[r] = _mm512_setzero_ps();
    if (acc && r < rows) {
      c0[r] = _mm512_maskz_loadu_ps(m0, c + r * ldc);
      c1[r] = _mm512_maskz_loadu_ps(m1, c + r * ldc + 16);
    }
  }
  // rows is the constant MR in the full blocks' specialisation (microS): the row loop unrolls, the accumulators stay in registers
  for (int k = 0; k < K; k++) {
    const __m512 b0 = _mm512_load_ps(p + k * NR5), b1 = _mm512_load_ps(p + k * NR5 + 16);
    const float* ak = a + k * sak;
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++) {
      const __m512 x = _mm512_set1_ps(ak[r * sai]);
      c0[r] = step5(c0[r], x, b0, fused);
      c1[r] = step5(c1[r], x, b1, fused);
    }
  }
  for (int r = 0; r < rows; r++) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, c0[r]);
    if (m1) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, c1[r]);
  }
}

DEFINE_DRIVER(5, "avx512f", NR5, MR5)

// ---- AVX2: 6 rows × 16 columns ----------------------------------------------------------------------------------
#define NR2 16
#define MR2 6
__attribute__((target("avx2,fma"))) static inline __m256 step2(__m256 acc, __m256 x, __m256 y, int fused) {
  return fused ? _mm256_fmadd_ps(x, y, acc) : _mm256_add_ps(acc, _mm256_mul_ps(x, y));
}

__attribute__((target("avx2,fma"), always_inline)) static inline void micro2_impl(const float* a, long sai, long sak, const float* p, float* c,
                                                       long ldc, int rows, int w, int K, int acc, int fused) {
  __m256 c0[MR2], c1[MR2];
  float tmp[NR2] __attribute__((aligned(32)));
  for (int r = 0; r < MR2; r++) {
    c0[r] = _mm256_setzero_ps();
    c1[r] = _mm256_setzero_ps();
    if (acc && r < rows && w == NR2) {
      c0[r] = _mm256_loadu_ps(c + r * ldc);
      c1[r] = _mm256_loadu_ps(c + r * ldc + 8);
    } else if (acc && r < rows) {
      for (int q = 0; q < NR2; q++) tmp[q] = q < w ? c[r * ldc + q] : 0.0f;
      c0[r] = _mm256_load_ps(tmp);
      c1[r] = _mm256_load_ps(tmp + 8);
    }
  }
  // rows is the constant MR in the full blocks' specialisation (microS): the row loop unrolls, the accumulators stay in registers
  for (int k = 0; k < K; k++) {
    const __m256 b0 = _mm256_load_ps(p + k * NR2), b1 = _mm256_load_ps(p + k * NR2 + 8);
    const float* ak = a + k * sak;
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) {
      const __m256 x = _mm256_set1_ps(ak[r * sai]);
      c0[r] = step2(c0[r], x, b0, fused);
      c1[r] = step2(c1[r], x, b1, fused);
    }
  }
  for (int r = 0; r < rows; r++) {
    if (w == NR2) {
      _mm256_storeu_ps(c + r * ldc, c0[r]);
      _mm256_storeu_ps(c + r * ldc + 8, c1[r]);
      continue;
    }
    _mm256_store_ps(tmp, c0[r]);
    _mm256_store_ps(tmp + 8, c1[r]);
    for (int q = 0; q < w; q++) c[r * ldc + q] = tmp[q];
  }
}

DEFINE_DRIVER(2, "avx2,fma", NR2, MR2)

static int level, chosen; // 5: AVX-512, 2: AVX2 + FMA, 0: neither (then the addon exports no gemm)

// kernels.c gemm_acc: c (M, N) = a·b, or c += a·b when acc (each element's chain going on from the value c holds),
// a's (i, k) at a[i·sai + k·sak], b and c row-major with row strides ldb, ldc.
static void gemm_acc(const float* a, long sai, long sak, const float* b, long ldb, float* c, long ldc, int M, int N, int K,
                     int acc, int fused) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!acc)
      for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) c[i * ldc + j] = 0;
    return;
  }
  const int N4 = N & ~3;
  if (N4 > 0) {
    if (level == 5)
      gemm5(a, sai, sak, b, ldb, c, ldc, M, N4, K, acc, fused);
    else
      gemm2(a, sai, sak, b, ldb, c, ldc, M, N4, K, acc, fused);
  }
  if (N4 < N) tail_cols(a, sai, sak, b, ldb, c, ldc, M, N4, N, K, acc);
}

// kernels.c gemm
static void gemm(const float* a, long sai, long sak, const float* b, long ldb, float* c, long ldc, int M, int N, int K,
                 int fused) {
  gemm_acc(a, sai, sak, b, ldb, c, ldc, M, N, K, 0, fused);
}

// ---- blocked convolution (kernels.c conv_fwd / conv_dw / conv_dx): the same blocks of R pixels, the same copies and
// the same additions in the same order; the products are gemm_acc's ----------------------------------------------
static inline void window_cols(int ow, int s, int pad, int k, int W, int* iw0, int* fw0, int* fw1) {
  *iw0 = ow * s - pad;
  *fw0 = *iw0 < 0 ? (-*iw0 < k ? -*iw0 : k) : 0;
  *fw1 = W - *iw0 < k ? W - *iw0 : k;
  if (*fw1 < *fw0) *fw1 = *fw0;
}

static inline void im2col_cols(const float* xb, float* out, int oh, int ow, int c0, int c1, int H, int W, int C, int k,
                               int s, int pad) {
  int iw0, fw0, fw1;
  window_cols(ow, s, pad, k, W, &iw0, &fw0, &fw1);
  const int kC = k * C, z0 = fw0 * C, z1 = fw1 * C;
  for (int fh = 0; fh < k; fh++) {
    const int base = fh * kC;
    const int r0 = (c0 > base ? c0 : base) - base, r1 = (c1 < base + kC ? c1 : base + kC) - base;
    if (r0 >= r1) continue;
    float* o = out + (base + r0 - c0);
    const int ih = oh * s + fh - pad;
    if (ih < 0 || ih >= H) {
      for (int j = 0; j < r1 - r0; j++) o[j] = 0;
      continue;
    }
    const int a = r0 < z0 ? (r1 < z0 ? r1 : z0) : r0, e = r1 < z1 ? (r1 > a ? r1 : a) : (z1 > a ? z1 : a);
    const float* src = xb + ((long)ih * W + iw0) * C;
    for (int j = r0; j < a; j++) o[j - r0] = 0;
    for (int j = a; j < e; j++) o[j - r0] = src[j];
    for (int j = e; j < r1; j++) o[j - r0] = 0;
  }
}

// Rows [q0, q1) of the nb images' col, its columns [c0, c1), into out (q1 − q0 rows of c1 − c0 floats).
static inline void im2col_block(const float* x, float* out, int q0, int q1, int c0, int c1, int H, int W, int C, int k,
                                int s, int pad, int OH, int OW) {
  const int per = OH * OW;
  for (int q = q0; q < q1; q++, out += c1 - c0) {
    const int b = q / per, r = q - b * per, oh = r / OW;
    im2col_cols(x + (long)b * H * W * C, out, oh, r - oh * OW, c0, c1, H, W, C, k, s, pad);
  }
}

static inline void col2im_row(const float* row, float* xb, int oh, int ow, int H, int W, int C, int k, int s, int pad) {
  int iw0, fw0, fw1;
  window_cols(ow, s, pad, k, W, &iw0, &fw0, &fw1);
  for (int fh = 0; fh < k; fh++, row += k * C) {
    const int ih = oh * s + fh - pad;
    if (ih < 0 || ih >= H) continue;
    float* d = xb + ((long)ih * W + iw0 + fw0) * C;
    const float* q = row + fw0 * C;
    for (int j = 0; j < (fw1 - fw0) * C; j++) d[j] = d[j] + q[j];
  }
}

static void conv_fwd(const float* x, const float* w, float* y, int nb, int H, int W, int C, int k, int s, int pad, int OH,
                     int OW, int CO, int R, float* scratch, int fused) {
  const int KC = k * k * C, P = nb * OH * OW;
  for (int q0 = 0; q0 < P; q0 += R) {
    const int q1 = P - q0 < R ? P : q0 + R;
    im2col_block(x, scratch, q0, q1, 0, KC, H, W, C, k, s, pad, OH, OW);
    gemm_acc(scratch, KC, 1, w, CO, y + (long)q0 * CO, CO, q1 - q0, CO, KC, 0, fused);
  }
}

static void conv_dw(const float* x, const float* dz, float* dw, int nb, int H, int W, int C, int k, int s, int pad, int OH,
                    int OW, int CO, int c0, int c1, int R, float* scratch, int fused) {
  const int P = nb * OH * OW, n = c1 - c0;
  if (n <= 0) return;
  int q0 = 0;
  do {
    const int q1 = P - q0 < R ? P : q0 + R;
    im2col_block(x, scratch, q0, q1, c0, c1, H, W, C, k, s, pad, OH, OW);
    gemm_acc(scratch, 1, n, dz + (long)q0 * CO, CO, dw + (long)c0 * CO, CO, n, CO, q1 - q0, q0 > 0, fused);
    q0 = q1;
  } while (q0 < P);
}

static void conv_dx(const float* dz, const float* wT, float* dx, int nb, int H, int W, int C, int k, int s, int pad, int OH,
                    int OW, int CO, int R, float* scratch, int fused) {
  const int KC = k * k * C, per = OH * OW, P = nb * per;
  for (long i = 0; i < (long)nb * H * W * C; i++) dx[i] = 0;
  for (int q0 = 0; q0 < P; q0 += R) {
    const int q1 = P - q0 < R ? P : q0 + R;
    gemm_acc(dz + (long)q0 * CO, CO, 1, wT, KC, scratch, KC, q1 - q0, KC, CO, 0, fused);
    for (int q = q0; q < q1; q++) {
      const int b = q / per, r = q - b * per, oh = r / OW;
      col2im_row(scratch + (long)(q - q0) * KC, dx + (long)b * H * W * C, oh, r - oh * OW, H, W, C, k, s, pad);
    }
  }
}

// ---- GELU (kernels.c gelu_fwd / gelu_bwd): the same operations in the same order, 16 or 8 lanes at a time ----
// Every lane is computed alone, so the width does not change a bit. wasm's pmax(x, c) = x < c ? c : x is x86's
// max(c, x), pmin(x, c) = c < x ? c : x is min(c, x) (NaN included); nearest is round-to-nearest-even; the compares
// are ordered (false for NaN), as wasm's. No FMA anywhere: kernels.c multiplies, then adds.
#define GELU_C 0.7978845608028654f
#define GELU_K 0.044715f

// exp_W: kernels.c's exp4 (Cephes expf: x = n·ln2 + r, e^r by a degree-6 polynomial, 2^n by exponent bits, 0 below
// -87.3 and +∞ above 88.7); ftz_W: kernels.c's ftz (x where |x| ≥ 1e-30, else 0). |x| clears the sign bit.
#define DEFINE_EXP(W, T, TGT, SET1, ADD, SUB, MUL, MAX, MIN, ROUND, AND, ANDNOT, OR, CAST_I, CAST_F, ISUB, ISHL,      \
                   GE_MASK, GT_MASK)                                                                                  \
  __attribute__((target(TGT), always_inline)) static inline T exp_##W(T x0) {                                        \
    T x = MIN(SET1(88.0f), MAX(SET1(-87.0f), x0));                                                                  \
    T n = ROUND(MUL(x, SET1(1.44269504088896341f)));                                                                \
    T r = SUB(x, MUL(n, SET1(0.693359375f)));                                                                       \
    r = SUB(r, MUL(n, SET1(-2.12194440e-4f)));                                                                      \
    T p = SET1(1.9875691500e-4f);                                                                                   \
    p = ADD(MUL(p, r), SET1(1.3981999507e-3f));                                                                     \
    p = ADD(MUL(p, r), SET1(8.3334519073e-3f));                                                                     \
    p = ADD(MUL(p, r), SET1(4.1665795894e-2f));                                                                     \
    p = ADD(MUL(p, r), SET1(1.6666665459e-1f));                                                                     \
    p = ADD(MUL(p, r), SET1(5.0000001201e-1f));                                                                     \
    p = ADD(ADD(MUL(MUL(p, r), r), r), SET1(1.0f));                                                                 \
    T e = CAST_F(ISHL(ISUB(CAST_I(ADD(n, SET1(12582912.0f))), 0x4B400000 - 127), 23));                            \
    T y = MUL(p, e);                                                                                                \
    y = AND(y, GE_MASK(x0, SET1(-87.3f)));                                                                          \
    const T big = GT_MASK(x0, SET1(88.7f));                                                                         \
    return OR(AND(big, SET1(__builtin_inff())), ANDNOT(big, y));                                                    \
  }                                                                                                                 \
  __attribute__((target(TGT), always_inline)) static inline T ftz_##W(T x) {                                        \
    return AND(x, GE_MASK(ANDNOT(SET1(-0.0f), x), SET1(1e-30f)));                                                   \
  }

// gelu_fwd_W / gelu_bwd_W over exp_W and ftz_W (DEFINE_EXP of the same W first).
#define DEFINE_GELU(W, T, TGT, SET1, ADD, SUB, MUL, DIV, XOR, LOADN, STOREN)                                           \
  __attribute__((target(TGT), always_inline)) static inline T gate_##W(T x) {                                       \
    T x2 = MUL(x, x);                                                                                               \
    T u2 = MUL(MUL(x, ADD(SET1(1.0f), MUL(x2, SET1(GELU_K)))), SET1(2.0f * GELU_C));                               \
    T neg = XOR(u2, SET1(-0.0f)); /* wasm's f32x4.neg: the sign bit flipped */                                      \
    return ftz_##W(DIV(SET1(1.0f), ADD(SET1(1.0f), exp_##W(neg))));                                                 \
  }                                                                                                                 \
  __attribute__((target(TGT))) static void gelu_fwd_##W(const float* x, float* y, long n) {                         \
    const int L = W / 32;                                                                                           \
    for (long i = 0; i < n; i += L) {                                                                               \
      const int m = n - i < L ? (int)(n - i) : L;                                                                   \
      T v = LOADN(x + i, m);                                                                                        \
      STOREN(y + i, MUL(v, gate_##W(v)), m);                                                                        \
    }                                                                                                               \
  }                                                                                                                 \
  __attribute__((target(TGT))) static void gelu_bwd_##W(const float* dy, const float* x, float* dx, long n) {       \
    const int L = W / 32;                                                                                           \
    const T one = SET1(1.0f);                                                                                       \
    for (long i = 0; i < n; i += L) {                                                                               \
      const int m = n - i < L ? (int)(n - i) : L;                                                                   \
      T v = LOADN(x + i, m), d = LOADN(dy + i, m);                                                                  \
      T s = gate_##W(v);                                                                                            \
      T du = MUL(SET1(2.0f * GELU_C), ADD(one, MUL(SET1(3.0f * GELU_K), MUL(v, v))));                               \
      STOREN(dx + i, MUL(d, ADD(s, MUL(MUL(v, MUL(s, SUB(one, s))), du))), m);                                      \
    }                                                                                                               \
  }

// AVX-512 helpers
#define M5_MASK(m) ((__mmask16)((m) >= 16 ? 0xffff : (1u << (m)) - 1))
#define LOAD5(p, m) _mm512_maskz_loadu_ps(M5_MASK(m), p)
#define STORE5(p, v, m) _mm512_mask_storeu_ps(p, M5_MASK(m), v)
#define GE5(a, b) _mm512_castsi512_ps(_mm512_movm_epi32(_mm512_cmp_ps_mask(a, b, _CMP_GE_OQ)))
#define GT5(a, b) _mm512_castsi512_ps(_mm512_movm_epi32(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)))
#define ROUND5(v) _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define AND5(a, b) _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)))
#define ANDNOT5(m, b) _mm512_castsi512_ps(_mm512_andnot_si512(_mm512_castps_si512(m), _mm512_castps_si512(b)))
#define OR5(a, b) _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)))
#define ISUB5(a, c) _mm512_sub_epi32(a, _mm512_set1_epi32(c))
#define ISHL5(a, c) _mm512_slli_epi32(a, c)
DEFINE_EXP(512, __m512, "avx512f,avx512dq", _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps,
           _mm512_max_ps, _mm512_min_ps, ROUND5, AND5, ANDNOT5, OR5, _mm512_castps_si512, _mm512_castsi512_ps, ISUB5,
           ISHL5, GE5, GT5)
DEFINE_GELU(512, __m512, "avx512f,avx512dq", _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps,
            _mm512_div_ps, _mm512_xor_ps, LOAD5, STORE5)

// AVX2 helpers
__attribute__((target("avx2"), always_inline)) static inline __m256i mask2(int m) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(m), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#define LOAD2(p, m) _mm256_maskload_ps(p, mask2(m))
#define STORE2(p, v, m) _mm256_maskstore_ps(p, mask2(m), v)
#define GE2(a, b) _mm256_cmp_ps(a, b, _CMP_GE_OQ)
#define GT2(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define ROUND2(v) _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define ISUB2(a, c) _mm256_sub_epi32(a, _mm256_set1_epi32(c))
#define ISHL2(a, c) _mm256_slli_epi32(a, c)
DEFINE_EXP(256, __m256, "avx2,fma", _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_max_ps,
           _mm256_min_ps, ROUND2, _mm256_and_ps, _mm256_andnot_ps, _mm256_or_ps, _mm256_castps_si256, _mm256_castsi256_ps,
           ISUB2, ISHL2, GE2, GT2)
DEFINE_GELU(256, __m256, "avx2,fma", _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps,
            _mm256_xor_ps, LOAD2, STORE2)

// ---- AdamW (kernels.c adamw): the same operations in the same order (no FMA), 16 or 8 lanes at a time over the
// elements kernels.c's 4-lane loop takes (i < 4·⌊n/4⌋: every lane alone, so the width changes no bit), then its scalar
// tail. Division and square root bound it: wider vectors do more of them a cycle.
#define DEFINE_ADAMW(W, T, TGT, SET1, ADD, SUB, MUL, DIV, SQRT, LOADN, STOREN)                                         \
  __attribute__((target(TGT))) static void adamw_##W(const float* p, const float* g, const float* m, const float* v,  \
                                                     float* p1, float* m1, float* v1, long n, float beta1,            \
                                                     float beta2, float c1, float c2, float eps, float lr, float bc1, \
                                                     float bc2, float keep, float scale) {                            \
    const int L = W / 32;                                                                                           \
    const T vb1 = SET1(beta1), vb2 = SET1(beta2), vc1 = SET1(c1), vc2 = SET1(c2), veps = SET1(eps), vlr = SET1(lr); \
    const T vbc1 = SET1(bc1), vbc2 = SET1(bc2), vkeep = SET1(keep), vscale = SET1(scale);                           \
    const long n4 = n & ~3L;                                                                                        \
    for (long i = 0; i < n4; i += L) {                                                                              \
      const int w = n4 - i < L ? (int)(n4 - i) : L;                                                                 \
      T gi = MUL(LOADN(g + i, w), vscale);                                                                          \
      T mi = ftz_##W(ADD(MUL(vb1, LOADN(m + i, w)), MUL(vc1, gi)));                                                 \
      T vi = ftz_##W(ADD(MUL(vb2, LOADN(v + i, w)), MUL(vc2, MUL(gi, gi))));                                        \
      T den = ADD(SQRT(DIV(vi, vbc2)), veps);                                                                       \
      T upd = DIV(DIV(mi, vbc1), den);                                                                              \
      T pi = SUB(MUL(LOADN(p + i, w), vkeep), MUL(vlr, upd));                                                       \
      STOREN(m1 + i, mi, w);                                                                                        \
      STOREN(v1 + i, vi, w);                                                                                        \
      STOREN(p1 + i, pi, w);                                                                                        \
    }                                                                                                               \
    for (long i = n4; i < n; i++) {                                                                                 \
      float gi = g[i] * scale;                                                                                      \
      float mi = beta1 * m[i] + c1 * gi;                                                                            \
      float vi = beta2 * v[i] + c2 * (gi * gi);                                                                     \
      if (__builtin_fabsf(mi) < 1e-30f) mi = 0;                                                                     \
      if (vi < 1e-30f) vi = 0;                                                                                      \
      float den = __builtin_sqrtf(vi / bc2) + eps;                                                                  \
      float pi = p[i] * keep - lr * ((mi / bc1) / den);                                                             \
      m1[i] = mi;                                                                                                   \
      v1[i] = vi;                                                                                                   \
      p1[i] = pi;                                                                                                   \
    }                                                                                                               \
  }
DEFINE_ADAMW(512, __m512, "avx512f,avx512dq", _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps,
             _mm512_div_ps, _mm512_sqrt_ps, LOAD5, STORE5)
DEFINE_ADAMW(256, __m256, "avx2,fma", _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps,
             _mm256_sqrt_ps, LOAD2, STORE2)

// kernels.c adamw_rows: adamw over table rows [r0, r1) with the gradient's rows compact (slot[r] - 1 in gc, or the d
// zeros at z): per row the same operations as over the dense gradient (d a multiple of 4, as the caller checks).
#define DEFINE_ADAMW_ROWS(W, TGT)                                                                                    \
  __attribute__((target(TGT))) static void adamw_rows_##W(const float* p, const float* gc, const float* m,            \
                                                          const float* v, float* p1, float* m1, float* v1,           \
                                                          const int* slot, const float* z, long r0, long r1, long d, \
                                                          const float* c) {                                          \
    for (long r = r0; r < r1; r++) {                                                                                \
      const long o = r * d;                                                                                         \
      const float* g = slot[r] ? gc + (long)(slot[r] - 1) * d : z;                                                  \
      adamw_##W(p + o, g, m + o, v + o, p1 + o, m1 + o, v1 + o, d, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],  \
                c[8], c[9]);                                                                                        \
    }                                                                                                               \
  }
DEFINE_ADAMW_ROWS(512, "avx512f,avx512dq")
DEFINE_ADAMW_ROWS(256, "avx2,fma")

// ---- attention core (kernels.c attn_fwd / attn_bwd) -------------------------------------------------------------
// Its products by gemm() above (kernels.c calls its own gemm: the same bits), its softmax and row dots in 4-lane SSE
// vectors exactly as kernels.c's (lane sums, then the lanes added left to right, then the scalar tail), exp by the
// same polynomial. On AVX-512, rows of ≤ 32 keys (the text encoders' batches) take small5 for the products and
// softmax5 / dsoftmax_row5 for the rows: the same operations element by element, 16 lanes wide, rows interleaved; a
// head's K (scaled) and V are transposed for the products in 16 × 16 register blocks (transpose_rows5).
#define ROUND1(v) _mm_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define ISUB1(a, c) _mm_sub_epi32(a, _mm_set1_epi32(c))
#define ISHL1(a, c) _mm_slli_epi32(a, c)
DEFINE_EXP(128, __m128, "sse4.1", _mm_set1_ps, _mm_add_ps, _mm_sub_ps, _mm_mul_ps, _mm_max_ps, _mm_min_ps, ROUND1,
           _mm_and_ps, _mm_andnot_ps, _mm_or_ps, _mm_castps_si128, _mm_castsi128_ps, ISUB1, ISHL1, _mm_cmpge_ps,
           _mm_cmpgt_ps)
__attribute__((target("sse4.1"), always_inline)) static inline float hsum128(__m128 v) {
  float l[4];
  _mm_storeu_ps(l, v);
  return l[0] + l[1] + l[2] + l[3];
}
__attribute__((target("sse4.1"), always_inline)) static inline __m128 load_tail128(const float* a, int rem) {
  return _mm_setr_ps(a[0], rem > 1 ? a[1] : 0.0f, rem > 2 ? a[2] : 0.0f, 0.0f);
}
__attribute__((target("sse4.1"), always_inline)) static inline void store_tail128(float* a, __m128 v, int rem) {
  float l[4];
  _mm_storeu_ps(l, v);
  for (int t = 0; t < rem; t++) a[t] = l[t];
}
__attribute__((target("sse4.1"))) static float dot128(const float* a, const float* b, int n) {
  __m128 s = _mm_setzero_ps();
  int j = 0;
  for (; j + 4 <= n; j += 4) s = _mm_add_ps(s, _mm_mul_ps(_mm_loadu_ps(a + j), _mm_loadu_ps(b + j)));
  float r = hsum128(s);
  for (; j < n; j++) {
    float t = a[j] * b[j];
    r = r + t;
  }
  return r;
}

// The attention core's products (Tq, Tk and dh small: a few dozen): c (M, N) = a·b with gemm()'s bits — each element
// one chain over k from +0, a fused multiply-add per step for the columns j < 4·⌊N/4⌋ when fused, a multiply then an
// add otherwise (tail_cols' columns always) — with b's rows read in place (no packed panel) and N ≤ 32 columns in two
// vectors (16 + 16 lanes, or 16 + 8 for N ≤ 24), SMR rows at a time. Wider products, and the AVX2 path, go to gemm().
#define SMR 6
__attribute__((target("avx512f"), always_inline)) static inline __m512 fstep5(__m512 acc, __m512 x, __m512 y, int fused) {
  return fused ? _mm512_fmadd_ps(x, y, acc) : _mm512_add_ps(acc, _mm512_mul_ps(x, y));
}
// rows ≤ SMR rows of c; nv 16-lane vectors (1 or 2); m0 / m1 the vectors' columns, t0 / t1 their unfused tail columns
// (fused only: those columns' chains go on in a second set of accumulators, merged at the store)
__attribute__((target("avx512f"), always_inline)) static inline void small5_impl(const float* a, long sai, long sak,
                                                                                const float* b, long ldb, float* c,
                                                                                long ldc, int rows, int K, int nv,
                                                                                __mmask16 m0, __mmask16 m1,
                                                                                __mmask16 t0, __mmask16 t1, int fused,
                                                                                int tail) {
  __m512 c0[SMR], c1[SMR], u0[SMR], u1[SMR];
  for (int r = 0; r < SMR; r++) c0[r] = c1[r] = u0[r] = u1[r] = _mm512_setzero_ps();
  for (int k = 0; k < K; k++) {
    const float* bk = b + (long)k * ldb;
    const __m512 b0 = _mm512_maskz_loadu_ps(m0, bk);
    const __m512 b1 = nv > 1 ? _mm512_maskz_loadu_ps(m1, bk + 16) : b0;
    const float* ak = a + (long)k * sak;
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) {
      const __m512 x = _mm512_set1_ps(ak[r * sai]);
      c0[r] = fstep5(c0[r], x, b0, fused);
      if (nv > 1) c1[r] = fstep5(c1[r], x, b1, fused);
      if (tail) {
        if (nv == 1) u0[r] = fstep5(u0[r], x, b0, 0);
        else u1[r] = fstep5(u1[r], x, b1, 0);
      }
    }
  }
  for (int r = 0; r < rows; r++) {
    if (tail && nv == 1) c0[r] = _mm512_mask_blend_ps(t0, c0[r], u0[r]);
    if (tail && nv > 1) c1[r] = _mm512_mask_blend_ps(t1, c1[r], u1[r]);
    _mm512_mask_storeu_ps(c + r * ldc, m0, c0[r]);
    if (nv > 1) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, c1[r]);
  }
}
// small5_impl for 16 < N ≤ 24: columns 16.. in an 8-lane vector, which costs half a 16-lane one's multiply-adds
// where the CPU splits 512-bit operations in two (Zen 4); the same operations lane by lane.
__attribute__((target("avx512f,avx512vl,fma"), always_inline)) static inline __m256 fstep8(__m256 acc, __m256 x, __m256 y,
                                                                                         int fused) {
  return fused ? _mm256_fmadd_ps(x, y, acc) : _mm256_add_ps(acc, _mm256_mul_ps(x, y));
}
__attribute__((target("avx512f,avx512vl,fma"), always_inline)) static inline void small5h_impl(
    const float* a, long sai, long sak, const float* b, long ldb, float* c, long ldc, int rows, int K, __mmask16 m0,
    __mmask8 m1, __mmask8 t1, int fused, int tail) {
  __m512 c0[SMR];
  __m256 c1[SMR], u1[SMR];
  for (int r = 0; r < SMR; r++) {
    c0[r] = _mm512_setzero_ps();
    c1[r] = u1[r] = _mm256_setzero_ps();
  }
  for (int k = 0; k < K; k++) {
    const float* bk = b + (long)k * ldb;
    const __m512 b0 = _mm512_maskz_loadu_ps(m0, bk);
    const __m256 b1 = _mm256_maskz_loadu_ps(m1, bk + 16);
    const float* ak = a + (long)k * sak;
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) {
      const float x = ak[r * sai];
      c0[r] = fstep5(c0[r], _mm512_set1_ps(x), b0, fused);
      c1[r] = fstep8(c1[r], _mm256_set1_ps(x), b1, fused);
      if (tail) u1[r] = fstep8(u1[r], _mm256_set1_ps(x), b1, 0);
    }
  }
  for (int r = 0; r < rows; r++) {
    if (tail) c1[r] = _mm256_mask_blend_ps(t1, c1[r], u1[r]);
    _mm512_mask_storeu_ps(c + r * ldc, m0, c0[r]);
    _mm256_mask_storeu_ps(c + r * ldc + 16, m1, c1[r]);
  }
}
#define SMALL5(ROWS, NV, FUSED, TAIL)                                                                                  \
  small5_impl(a + (long)i * sai, sai, sak, b, ldb, c + (long)i * ldc, ldc, ROWS, K, NV, m0, m1, t0, t1, FUSED, TAIL)
#define SMALL5H(ROWS, FUSED, TAIL)                                                                                      \
  small5h_impl(a + (long)i * sai, sai, sak, b, ldb, c + (long)i * ldc, ldc, ROWS, K, m0, (__mmask8)m1, (__mmask8)t1, FUSED, TAIL)
#define SMALL5_ROWS(ROWS)                                                                                              \
  do {                                                                                                               \
    if (nv == 3) {                                                                                                   \
      if (!fused) SMALL5H(ROWS, 0, 0);                                                                               \
      else if (tail) SMALL5H(ROWS, 1, 1);                                                                            \
      else SMALL5H(ROWS, 1, 0);                                                                                      \
    } else if (nv == 1) {                                                                                                   \
      if (!fused) SMALL5(ROWS, 1, 0, 0);                                                                             \
      else if (tail) SMALL5(ROWS, 1, 1, 1);                                                                          \
      else SMALL5(ROWS, 1, 1, 0);                                                                                    \
    } else {                                                                                                         \
      if (!fused) SMALL5(ROWS, 2, 0, 0);                                                                             \
      else if (tail) SMALL5(ROWS, 2, 1, 1);                                                                          \
      else SMALL5(ROWS, 2, 1, 0);                                                                                    \
    }                                                                                                                \
  } while (0)
__attribute__((target("avx512f,avx512vl,fma"))) static void small5(const float* a, long sai, long sak, const float* b, long ldb,
                                                      float* c, long ldc, int M, int N, int K, int fused) {
  const int N4 = N & ~3, nv = N > 24 ? 2 : N > 16 ? 3 : 1;
  const __mmask16 m0 = M5_MASK(N), m1 = N > 16 ? M5_MASK(N - 16) : 0;
  // tail columns [N4, N) of each vector
  const unsigned all = (N >= 32 ? 0xffffffffu : (1u << N) - 1) & ~((1u << N4) - 1);
  const __mmask16 t0 = (__mmask16)(all & 0xffff), t1 = (__mmask16)(all >> 16);
  const int tail = N4 < N;
  int i = 0;
  for (; i + SMR <= M; i += SMR) SMALL5_ROWS(SMR);
  // the last rows by a count known at compile time too (a variable count keeps the accumulators in memory)
  switch (M - i) {
    case 5: SMALL5_ROWS(5); break;
    case 4: SMALL5_ROWS(4); break;
    case 3: SMALL5_ROWS(3); break;
    case 2: SMALL5_ROWS(2); break;
    case 1: SMALL5_ROWS(1); break;
  }
}

// The attention core's products: small5 where it applies, else gemm() (the same bits either way).
static void attn_mm(const float* a, long sai, long sak, const float* b, long ldb, float* c, long ldc, int M, int N,
                    int K, int fused) {
  if (level == 5 && N <= 32 && K > 0 && M > 0 && N > 0)
    small5(a, sai, sak, b, ldb, c, ldc, M, N, K, fused);
  else
    gemm(a, sai, sak, b, ldb, c, ldc, M, N, K, fused);
}

// One row of Tk scores softmaxed in place, 4 lanes at a time (kernels.c's loop); mrow: the row's key mask or NULL.
__attribute__((target("sse4.1"))) static void softmax_row128(float* pi, const float* mrow, int Tk) {
  float mx = -3.4e38f;
  for (int j = 0; j < Tk; j++) {
    if (mrow) {
      float m = (mrow[j] - 1.0f) * 1e9f;
      pi[j] = pi[j] + m;
    }
    if (pi[j] > mx) mx = pi[j];
  }
  const __m128 vmx = _mm_set1_ps(mx);
  __m128 sum4 = _mm_setzero_ps();
  int j = 0;
  for (; j + 4 <= Tk; j += 4) {
    __m128 e = exp_128(_mm_sub_ps(_mm_loadu_ps(pi + j), vmx));
    _mm_storeu_ps(pi + j, e);
    sum4 = _mm_add_ps(sum4, e);
  }
  float sum = hsum128(sum4);
  if (j < Tk) {
    __m128 e = exp_128(_mm_sub_ps(load_tail128(pi + j, Tk - j), vmx));
    store_tail128(pi + j, e, Tk - j);
    for (int t = 0; t < Tk - j; t++) sum = sum + pi[j + t];
  }
  const __m128 inv = _mm_set1_ps(1.0f / sum);
  for (j = 0; j + 4 <= Tk; j += 4) _mm_storeu_ps(pi + j, ftz_128(_mm_mul_ps(_mm_loadu_ps(pi + j), inv)));
  if (j < Tk) store_tail128(pi + j, ftz_128(_mm_mul_ps(load_tail128(pi + j, Tk - j), inv)), Tk - j);
}

// R rows of ≤ 32 scores (row stride Tk) softmaxed in place as softmax_row128 does it, 16 lanes at a time: each
// element's mask term, exp and scaling are the same operations (lane by lane); the max is the same value (max_ps(x, m)
// keeps m where x is NaN, as the scalar `x > m`; a max of ±0 subtracts to the same differences); the sum is added in
// the 4-lane order. mrow: the rows' key mask (1 keep, 0 drop) or NULL. R rows at once: one row's chain (max, exp,
// sum, divide) is a few hundred cycles of latency; R of them overlap.
__attribute__((target("avx512f,avx512dq"), always_inline)) static inline void softmax_rows5(float* p, const float* mrow,
                                                                                          int Tk, int R) {
  const __mmask16 m0 = M5_MASK(Tk), m1 = Tk > 16 ? M5_MASK(Tk - 16) : 0;
  __m512 x0[4], x1[4], e0[4], e1[4];
  float sum[4];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    float* pi = p + (long)r * Tk;
    x0[r] = _mm512_maskz_loadu_ps(m0, pi);
    x1[r] = _mm512_maskz_loadu_ps(m1, pi + 16);
    if (mrow) {
      const __m512 one = _mm512_set1_ps(1.0f), big = _mm512_set1_ps(1e9f);
      x0[r] = _mm512_add_ps(x0[r], _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m0, mrow), one), big));
      x1[r] = _mm512_add_ps(x1[r], _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m1, mrow + 16), one), big));
    }
    __m512 mx = _mm512_set1_ps(-3.4e38f);
    mx = _mm512_mask_max_ps(mx, m0, x0[r], mx);
    mx = _mm512_mask_max_ps(mx, m1, x1[r], mx);
    const __m512 vmx = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    e0[r] = exp_512(_mm512_sub_ps(x0[r], vmx));
    e1[r] = m1 ? exp_512(_mm512_sub_ps(x1[r], vmx)) : e0[r];
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    float l[32];
    _mm512_storeu_ps(l, e0[r]);
    _mm512_storeu_ps(l + 16, e1[r]);
    __m128 sum4 = _mm_setzero_ps();
    int j = 0;
    for (; j + 4 <= Tk; j += 4) sum4 = _mm_add_ps(sum4, _mm_loadu_ps(l + j));
    float s = hsum128(sum4);
    for (; j < Tk; j++) s = s + l[j];
    sum[r] = s;
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    float* pi = p + (long)r * Tk;
    const __m512 inv = _mm512_set1_ps(1.0f / sum[r]);
    _mm512_mask_storeu_ps(pi, m0, ftz_512(_mm512_mul_ps(e0[r], inv)));
    if (m1) _mm512_mask_storeu_ps(pi + 16, m1, ftz_512(_mm512_mul_ps(e1[r], inv)));
  }
}
// The Tq rows of one head's scores (Tk ≤ 32), 4 at a time.
__attribute__((target("avx512f,avx512dq"))) static void softmax5(float* p, const float* mrow, int Tq, int Tk) {
  int i = 0;
  for (; i + 4 <= Tq; i += 4) softmax_rows5(p + (long)i * Tk, mrow, Tk, 4);
  switch (Tq - i) {
    case 3: softmax_rows5(p + (long)i * Tk, mrow, Tk, 3); break;
    case 2: softmax_rows5(p + (long)i * Tk, mrow, Tk, 2); break;
    case 1: softmax_rows5(p + (long)i * Tk, mrow, Tk, 1); break;
  }
}

// attn_bwd's softmax gradient of a row of ≤ 32: di[j] = (scale·pi[j])·(di[j] − c), lane by lane.
__attribute__((target("avx512f"))) static void dsoftmax_row5(const float* pi, float* di, float c, float scale, int Tk) {
  const __mmask16 m0 = M5_MASK(Tk), m1 = Tk > 16 ? M5_MASK(Tk - 16) : 0;
  const __m512 vc = _mm512_set1_ps(c), vs = _mm512_set1_ps(scale);
  _mm512_mask_storeu_ps(di, m0, _mm512_mul_ps(_mm512_mul_ps(vs, _mm512_maskz_loadu_ps(m0, pi)),
                                              _mm512_sub_ps(_mm512_maskz_loadu_ps(m0, di), vc)));
  if (m1)
    _mm512_mask_storeu_ps(di + 16, m1, _mm512_mul_ps(_mm512_mul_ps(vs, _mm512_maskz_loadu_ps(m1, pi + 16)),
                                                     _mm512_sub_ps(_mm512_maskz_loadu_ps(m1, di + 16), vc)));
}

// dst (dh, Tk) = src (Tk rows of stride ld, dh columns)ᵀ, each element times `scale` when mul (one multiply, as the
// scalar loop's): 16 × 16 blocks transposed in registers, rows past Tk read as zeros and never stored.
__attribute__((target("avx512f"))) static void transpose_rows5(const float* src, long ld, float* dst, int Tk, int dh,
                                                               float scale, int mul) {
  const __m512 vs = _mm512_set1_ps(scale);
  for (int j0 = 0; j0 < Tk; j0 += 16) {
    const int nj = Tk - j0 < 16 ? Tk - j0 : 16;
    const __mmask16 mj = M5_MASK(nj);
    for (int d0 = 0; d0 < dh; d0 += 16) {
      const int nd = dh - d0 < 16 ? dh - d0 : 16;
      const __mmask16 md = M5_MASK(nd);
      __m512 r[16], t[16];
      for (int i = 0; i < 16; i++) {
        r[i] = i < nj ? _mm512_maskz_loadu_ps(md, src + (long)(j0 + i) * ld + d0) : _mm512_setzero_ps();
        if (mul) r[i] = _mm512_mul_ps(r[i], vs);
      }
      for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
      }
      for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xee);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xee);
      }
      for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
      }
      for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
      }
      for (int i = 0; i < nd; i++) _mm512_mask_storeu_ps(dst + (long)(d0 + i) * Tk + j0, mj, r[i]);
    }
  }
}

__attribute__((target("sse4.1"))) static void attn_fwd(const float* q, const float* k, const float* v, const float* mask,
                                                       float* out, float* p, float* scratch, int B, int Tq, int Tk,
                                                       int h, int dh, float scale, int fused) {
  const int H = h * dh;
  for (int b = 0; b < B; b++) {
    for (int hd = 0; hd < h; hd++) {
      const float* qh = q + (long)b * Tq * H + hd * dh;
      const float* kh = k + (long)b * Tk * H + hd * dh;
      const float* vh = v + (long)b * Tk * H + hd * dh;
      float* ph = p + ((long)b * h + hd) * Tq * Tk;
      if (level == 5)
        transpose_rows5(kh, H, scratch, Tk, dh, scale, 1);
      else
        for (int j = 0; j < Tk; j++)
          for (int d = 0; d < dh; d++) scratch[d * Tk + j] = kh[(long)j * H + d] * scale;
      attn_mm(qh, H, 1, scratch, Tk, ph, Tk, Tq, Tk, dh, fused);
      const float* mrow = mask ? mask + (long)b * Tk : NULL;
      if (level == 5 && Tk <= 32)
        softmax5(ph, mrow, Tq, Tk);
      else
        for (int i = 0; i < Tq; i++) softmax_row128(ph + (long)i * Tk, mrow, Tk);
      attn_mm(ph, Tk, 1, vh, H, out + (long)b * Tq * H + hd * dh, H, Tq, dh, Tk, fused);
    }
  }
}

__attribute__((target("sse4.1"))) static void attn_bwd(const float* dout, const float* q, const float* k, const float* v,
                                                       const float* p, float* dq, float* dk, float* dv, float* scratch,
                                                       int B, int Tq, int Tk, int h, int dh, float scale, int fused) {
  const int H = h * dh;
  float* vt = scratch;
  float* ds = scratch + (long)dh * Tk;
  for (int b = 0; b < B; b++) {
    for (int hd = 0; hd < h; hd++) {
      const long qo = (long)b * Tq * H + hd * dh, ko = (long)b * Tk * H + hd * dh;
      const float* ph = p + ((long)b * h + hd) * Tq * Tk;
      if (level == 5)
        transpose_rows5(v + ko, H, vt, Tk, dh, 1.0f, 0);
      else
        for (int j = 0; j < Tk; j++)
          for (int d = 0; d < dh; d++) vt[d * Tk + j] = v[ko + (long)j * H + d];
      attn_mm(dout + qo, H, 1, vt, Tk, ds, Tk, Tq, Tk, dh, fused);
      for (int i = 0; i < Tq; i++) {
        const float* pi = ph + (long)i * Tk;
        float* di = ds + (long)i * Tk;
        const float c = dot128(pi, di, Tk);
        if (level == 5 && Tk <= 32) {
          dsoftmax_row5(pi, di, c, scale, Tk);
          continue;
        }
        for (int j = 0; j < Tk; j++) {
          float a = scale * pi[j];
          di[j] = a * (di[j] - c);
        }
      }
      attn_mm(ds, Tk, 1, k + ko, H, dq + qo, H, Tq, dh, Tk, fused);
      attn_mm(ds, 1, Tk, q + qo, H, dk + ko, H, Tk, dh, Tq, fused);
      attn_mm(ph, 1, Tk, dout + qo, H, dv + ko, H, Tk, dh, Tq, fused);
    }
  }
}

// ---- Node-API ---------------------------------------------------------------------------------------------------
// Every export is op(heap, fused, ...kernels.c's arguments): heap is a Float32Array over the whole wasm memory (its
// base and length are read each call: a plain memory moves when it grows), fused is 1 where the wasm build fuses
// multiply-adds (relaxed SIMD; only the products use it), and the arguments are those of the kernels.c export of the
// same name, byte addresses into the heap first; arguments past them (gemm's pack, the pool's unused slots) are
// ignored. Every float an op reads or writes is checked to lie in the heap (an error, as a wasm kernel traps).
#define MAX_ARGS 26
static int args(napi_env env, napi_callback_info info, size_t want, char** base, double* bytes, int* fused, double* v) {
  napi_value argv[MAX_ARGS];
  size_t argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < want + 2) return 0;
  void* data = NULL;
  size_t length = 0;
  int type = -1;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != 0 || type != 7) return 0; // napi_float32_array
  *base = (char*)data;
  *bytes = 4.0 * (double)length;
  double f = 0;
  if (napi_get_value_double(env, argv[1], &f) != 0) return 0;
  *fused = f != 0;
  for (size_t i = 0; i < want; i++)
    if (napi_get_value_double(env, argv[i + 2], &v[i]) != 0) return 0;
  return 1;
}

// Whether floats [0, last] from byte address `at` lie in the heap (a wasm kernel would trap outside it; native code
// would crash the process). Sizes and strides must be whole and ≥ 0.
static int inside(double at, double last, double bytes) {
  return at >= 0 && last >= 0 && at + 4 * (last + 1) <= bytes;
}
static int whole(const double* v, int n) {
  for (int i = 0; i < n; i++)
    if (!(v[i] >= 0 && v[i] <= 4294967295.0 && v[i] == (double)(long)v[i])) return 0;
  return 1;
}

static napi_value fail(napi_env env, const char* message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

// gemm(heap, fused, a, sai, sak, b, ldb, c, ldc, m, n, k[, pack])
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  char* h;
  double v[10], bytes;
  int fused;
  if (!args(env, info, 10, &h, &bytes, &fused, v) || !whole(v, 10))
    return fail(env, "unir native gemm: expected (Float32Array heap, fused, a, sai, sak, b, ldb, c, ldc, m, n, k), whole numbers >= 0");
  const double m = v[7], n = v[8], k = v[9];
  if (m > 0 && n > 0 &&
      (!inside(v[5], (m - 1) * v[6] + n - 1, bytes) ||
       (k > 0 && (!inside(v[0], (m - 1) * v[1] + (k - 1) * v[2], bytes) || !inside(v[3], (k - 1) * v[4] + n - 1, bytes)))))
    return fail(env, "unir native gemm: an operand lies outside the wasm heap");
  gemm((const float*)(h + (long)v[0]), (long)v[1], (long)v[2], (const float*)(h + (long)v[3]), (long)v[4],
       (float*)(h + (long)v[5]), (long)v[6], (int)m, (int)n, (int)k, fused);
  return NULL;
}

// gemm_batch(heap, fused, a, sai, sak, b, c, m, n, k, count, sa, sb, sc[, pack]): b and c n wide, strides in floats
static napi_value js_gemm_batch(napi_env env, napi_callback_info info) {
  char* h;
  double v[12], bytes;
  int fused;
  if (!args(env, info, 12, &h, &bytes, &fused, v) || !whole(v, 12))
    return fail(env, "unir native gemm_batch: expected (Float32Array heap, fused, a, sai, sak, b, c, m, n, k, count, sa, sb, sc), whole numbers >= 0");
  const double m = v[5], n = v[6], k = v[7], count = v[8], last = count - 1;
  if (m > 0 && n > 0 && count > 0 &&
      (!inside(v[4], last * v[11] + (m - 1) * n + n - 1, bytes) ||
       (k > 0 && (!inside(v[0], last * v[9] + (m - 1) * v[1] + (k - 1) * v[2], bytes) ||
                  !inside(v[3], last * v[10] + (k - 1) * n + n - 1, bytes)))))
    return fail(env, "unir native gemm_batch: an operand lies outside the wasm heap");
  const long sa = (long)v[9], sb = (long)v[10], sc = (long)v[11];
  const float* a = (const float*)(h + (long)v[0]);
  const float* b = (const float*)(h + (long)v[3]);
  float* c = (float*)(h + (long)v[4]);
  for (int i = 0; i < (int)count; i++)
    gemm(a + i * sa, (long)v[1], (long)v[2], b + i * sb, (long)n, c + i * sc, (long)n, (int)m, (int)n, (int)k, fused);
  return NULL;
}

// gelu_fwd(heap, fused, x, y, n)
static napi_value js_gelu_fwd(napi_env env, napi_callback_info info) {
  char* h;
  double v[3], bytes;
  int fused;
  if (!args(env, info, 3, &h, &bytes, &fused, v) || !whole(v, 3))
    return fail(env, "unir native gelu_fwd: expected (Float32Array heap, fused, x, y, n), whole numbers >= 0");
  if (v[2] > 0 && (!inside(v[0], v[2] - 1, bytes) || !inside(v[1], v[2] - 1, bytes)))
    return fail(env, "unir native gelu_fwd: an operand lies outside the wasm heap");
  if (level == 5)
    gelu_fwd_512((const float*)(h + (long)v[0]), (float*)(h + (long)v[1]), (long)v[2]);
  else
    gelu_fwd_256((const float*)(h + (long)v[0]), (float*)(h + (long)v[1]), (long)v[2]);
  return NULL;
}

// gelu_bwd(heap, fused, dy, x, dx, n)
static napi_value js_gelu_bwd(napi_env env, napi_callback_info info) {
  char* h;
  double v[4], bytes;
  int fused;
  if (!args(env, info, 4, &h, &bytes, &fused, v) || !whole(v, 4))
    return fail(env, "unir native gelu_bwd: expected (Float32Array heap, fused, dy, x, dx, n), whole numbers >= 0");
  if (v[3] > 0 && (!inside(v[0], v[3] - 1, bytes) || !inside(v[1], v[3] - 1, bytes) || !inside(v[2], v[3] - 1, bytes)))
    return fail(env, "unir native gelu_bwd: an operand lies outside the wasm heap");
  if (level == 5)
    gelu_bwd_512((const float*)(h + (long)v[0]), (const float*)(h + (long)v[1]), (float*)(h + (long)v[2]), (long)v[3]);
  else
    gelu_bwd_256((const float*)(h + (long)v[0]), (const float*)(h + (long)v[1]), (float*)(h + (long)v[2]), (long)v[3]);
  return NULL;
}

// adamw(heap, fused, p, g, m, v, p1, m1, v1, n, beta1, beta2, c1, c2, eps, lr, bc1, bc2, keep, scale)
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  char* h;
  double v[18], bytes;
  int fused;
  if (!args(env, info, 18, &h, &bytes, &fused, v) || !whole(v, 8))
    return fail(env, "unir native adamw: expected (Float32Array heap, fused, p, g, m, v, p1, m1, v1, n, beta1, beta2, c1, c2, eps, lr, bc1, bc2, keep, scale), whole numbers >= 0 before beta1");
  for (int i = 0; i < 7; i++)
    if (v[7] > 0 && !inside(v[i], v[7] - 1, bytes)) return fail(env, "unir native adamw: an operand lies outside the wasm heap");
  const float* f[4];
  float* o[3];
  for (int i = 0; i < 4; i++) f[i] = (const float*)(h + (long)v[i]);
  for (int i = 0; i < 3; i++) o[i] = (float*)(h + (long)v[4 + i]);
  const float c[10] = {(float)v[8],  (float)v[9],  (float)v[10], (float)v[11], (float)v[12],
                       (float)v[13], (float)v[14], (float)v[15], (float)v[16], (float)v[17]};
  if (level == 5)
    adamw_512(f[0], f[1], f[2], f[3], o[0], o[1], o[2], (long)v[7], c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
              c[8], c[9]);
  else
    adamw_256(f[0], f[1], f[2], f[3], o[0], o[1], o[2], (long)v[7], c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
              c[8], c[9]);
  return NULL;
}

// adamw_rows(heap, fused, p, gc, m, v, p1, m1, v1, slot, z, r0, r1, d, beta1, beta2, c1, c2, eps, lr, bc1, bc2, keep,
// scale): p, m, v, p1, m1, v1 (V, d) read / written in rows [r0, r1); gc (rows the slots name, d); slot (r1 ints);
// z (d zeros)
static napi_value js_adamw_rows(napi_env env, napi_callback_info info) {
  char* h;
  double v[22], bytes;
  int fused;
  if (!args(env, info, 22, &h, &bytes, &fused, v) || !whole(v, 12) || v[9] > v[10])
    return fail(env, "unir native adamw_rows: expected (Float32Array heap, fused, p, gc, m, v, p1, m1, v1, slot, z, r0, r1, d, beta1, …, scale), whole numbers >= 0 before beta1, r0 <= r1");
  const double last = v[10] * v[11] - 1;
  const int ps[6] = {0, 2, 3, 4, 5, 6};
  for (int i = 0; i < 6; i++)
    if (last >= 0 && !inside(v[ps[i]], last, bytes)) return fail(env, "unir native adamw_rows: an operand lies outside the wasm heap");
  if ((v[10] > 0 && !inside(v[7], v[10] - 1, bytes)) || (v[11] > 0 && !inside(v[8], v[11] - 1, bytes)))
    return fail(env, "unir native adamw_rows: an operand lies outside the wasm heap");
  const int* slot = (const int*)(h + (long)v[7]);
  for (long r = (long)v[9]; r < (long)v[10]; r++) // the gradient rows named must lie in the heap too
    if (slot[r] < 0 || (slot[r] > 0 && !inside(v[1] + 4.0 * (slot[r] - 1) * v[11], v[11] - 1, bytes)))
      return fail(env, "unir native adamw_rows: a gradient row lies outside the wasm heap");
  const float c[10] = {(float)v[12], (float)v[13], (float)v[14], (float)v[15], (float)v[16],
                       (float)v[17], (float)v[18], (float)v[19], (float)v[20], (float)v[21]};
  const float* f[4] = {(const float*)(h + (long)v[0]), (const float*)(h + (long)v[1]), (const float*)(h + (long)v[2]),
                       (const float*)(h + (long)v[3])};
  float* o[3] = {(float*)(h + (long)v[4]), (float*)(h + (long)v[5]), (float*)(h + (long)v[6])};
  const float* z = (const float*)(h + (long)v[8]);
  if (level == 5)
    adamw_rows_512(f[0], f[1], f[2], f[3], o[0], o[1], o[2], slot, z, (long)v[9], (long)v[10], (long)v[11], c);
  else
    adamw_rows_256(f[0], f[1], f[2], f[3], o[0], o[1], o[2], slot, z, (long)v[9], (long)v[10], (long)v[11], c);
  return NULL;
}

// attn_fwd(heap, fused, q, k, v, mask, out, p, scratch, B, Tq, Tk, h, dh, scale): mask 0 = none
static napi_value js_attn_fwd(napi_env env, napi_callback_info info) {
  char* hp;
  double v[13], bytes;
  int fused;
  if (!args(env, info, 13, &hp, &bytes, &fused, v) || !whole(v, 12))
    return fail(env, "unir native attn_fwd: expected (Float32Array heap, fused, q, k, v, mask, out, p, scratch, B, Tq, Tk, h, dh, scale), whole numbers >= 0 before scale");
  const double B = v[7], Tq = v[8], Tk = v[9], h = v[10], dh = v[11], H = h * dh;
  if (B * Tq * Tk * H == 0) return NULL; // nothing to compute (sizes are whole and ≥ 0)
  if (!inside(v[0], B * Tq * H - 1, bytes) || !inside(v[1], B * Tk * H - 1, bytes) || !inside(v[2], B * Tk * H - 1, bytes) ||
      (v[3] != 0 && !inside(v[3], B * Tk - 1, bytes)) || !inside(v[4], B * Tq * H - 1, bytes) ||
      !inside(v[5], B * h * Tq * Tk - 1, bytes) || !inside(v[6], dh * Tk - 1, bytes))
    return fail(env, "unir native attn_fwd: an operand lies outside the wasm heap");
  attn_fwd((const float*)(hp + (long)v[0]), (const float*)(hp + (long)v[1]), (const float*)(hp + (long)v[2]),
           v[3] != 0 ? (const float*)(hp + (long)v[3]) : NULL, (float*)(hp + (long)v[4]), (float*)(hp + (long)v[5]),
           (float*)(hp + (long)v[6]), (int)B, (int)Tq, (int)Tk, (int)h, (int)dh, (float)v[12], fused);
  return NULL;
}

// attn_bwd(heap, fused, dout, q, k, v, p, dq, dk, dv, scratch, B, Tq, Tk, h, dh, scale)
static napi_value js_attn_bwd(napi_env env, napi_callback_info info) {
  char* hp;
  double v[15], bytes;
  int fused;
  if (!args(env, info, 15, &hp, &bytes, &fused, v) || !whole(v, 14))
    return fail(env, "unir native attn_bwd: expected (Float32Array heap, fused, dout, q, k, v, p, dq, dk, dv, scratch, B, Tq, Tk, h, dh, scale), whole numbers >= 0 before scale");
  const double B = v[9], Tq = v[10], Tk = v[11], h = v[12], dh = v[13], H = h * dh;
  const double nq = B * Tq * H - 1, nk = B * Tk * H - 1;
  if (B * Tq * Tk * H == 0) return NULL; // nothing to compute (sizes are whole and ≥ 0)
  if (!inside(v[0], nq, bytes) || !inside(v[1], nq, bytes) || !inside(v[2], nk, bytes) || !inside(v[3], nk, bytes) ||
      !inside(v[4], B * h * Tq * Tk - 1, bytes) || !inside(v[5], nq, bytes) || !inside(v[6], nk, bytes) ||
      !inside(v[7], nk, bytes) || !inside(v[8], dh * Tk + Tq * Tk - 1, bytes))
    return fail(env, "unir native attn_bwd: an operand lies outside the wasm heap");
  attn_bwd((const float*)(hp + (long)v[0]), (const float*)(hp + (long)v[1]), (const float*)(hp + (long)v[2]),
           (const float*)(hp + (long)v[3]), (const float*)(hp + (long)v[4]), (float*)(hp + (long)v[5]),
           (float*)(hp + (long)v[6]), (float*)(hp + (long)v[7]), (float*)(hp + (long)v[8]), (int)B, (int)Tq, (int)Tk,
           (int)h, (int)dh, (float)v[14], fused);
  return NULL;
}

// The blocked convolution's arguments after (heap, fused): operands, then nb, H, W, C, k, s, pad, OH, OW, CO at
// g[0..9], the rest op by op. Whether every float it reads or writes lies in the heap: x (nb, H, W, C), a row per
// output pixel (nb·OH·OW × CO floats at `pix`), `kc_co` floats of filter at `wt`, `out_last` + 1 floats at `out` and `scr`
// floats of scratch (a window inside the image reads x only: window_cols clips it).
static int conv_inside(double x, double pix, double wt, double kc_co, double out, double out_last, double scratch, double scr,
                       const double* g, double bytes) {
  const double nb = g[0], H = g[1], W = g[2], C = g[3], OH = g[7], OW = g[8], CO = g[9];
  const double P = nb * OH * OW;
  return (nb * H * W * C == 0 || inside(x, nb * H * W * C - 1, bytes)) && (P * CO == 0 || inside(pix, P * CO - 1, bytes)) &&
         (kc_co == 0 || inside(wt, kc_co - 1, bytes)) && (out_last < 0 || inside(out, out_last, bytes)) &&
         (scr == 0 || inside(scratch, scr - 1, bytes));
}

#define MAX_BLOCK 1073741824.0 // R: pixels a block (an int, and R·k·k·C floats must fit the heap anyway)

// conv_fwd(heap, fused, x, w, y, nb, H, W, C, k, s, pad, OH, OW, CO, R, scratch[, pack]) and conv_dx(heap, fused,
// dz, wT, dx, …the same): by images, one operand image-shaped (x, dx) and one pixel-shaped (y, dz)
static napi_value conv_by_images(napi_env env, napi_callback_info info, int backward) {
  char* h;
  double v[15], bytes;
  int fused;
  if (!args(env, info, 15, &h, &bytes, &fused, v) || !whole(v, 15) || v[13] < 1 || v[13] > MAX_BLOCK || v[7] < 1)
    return fail(env, backward ? "unir native conv_dx: expected (Float32Array heap, fused, dz, wT, dx, nb, H, W, C, k, s, pad, OH, OW, CO, R, scratch), whole numbers >= 0, k and R >= 1"
                              : "unir native conv_fwd: expected (Float32Array heap, fused, x, w, y, nb, H, W, C, k, s, pad, OH, OW, CO, R, scratch), whole numbers >= 0, k and R >= 1");
  const double* g = v + 3;
  const double KC = g[4] * g[4] * g[3];
  if ((backward ? g[0] * g[1] * g[2] * g[3] : g[0] * g[7] * g[8] * g[9]) == 0) return NULL; // an empty output
  if (!conv_inside(v[backward ? 2 : 0], v[backward ? 0 : 2], v[1], KC * g[9], 0, -1, v[14], v[13] * KC, g, bytes))
    return fail(env, backward ? "unir native conv_dx: an operand lies outside the wasm heap"
                              : "unir native conv_fwd: an operand lies outside the wasm heap");
  (backward ? conv_dx : conv_fwd)((const float*)(h + (long)v[0]), (const float*)(h + (long)v[1]), (float*)(h + (long)v[2]),
                                  (int)g[0], (int)g[1], (int)g[2], (int)g[3], (int)g[4], (int)g[5], (int)g[6], (int)g[7],
                                  (int)g[8], (int)g[9], (int)v[13], (float*)(h + (long)v[14]), fused);
  return NULL;
}
static napi_value js_conv_fwd(napi_env env, napi_callback_info info) { return conv_by_images(env, info, 0); }
static napi_value js_conv_dx(napi_env env, napi_callback_info info) { return conv_by_images(env, info, 1); }

// conv_dw(heap, fused, x, dz, dw, nb, H, W, C, k, s, pad, OH, OW, CO, c0, c1, R, scratch[, pack])
static napi_value js_conv_dw(napi_env env, napi_callback_info info) {
  char* h;
  double v[17], bytes;
  int fused;
  if (!args(env, info, 17, &h, &bytes, &fused, v) || !whole(v, 17) || v[15] < 1 || v[15] > MAX_BLOCK || v[7] < 1)
    return fail(env, "unir native conv_dw: expected (Float32Array heap, fused, x, dz, dw, nb, H, W, C, k, s, pad, OH, OW, CO, c0, c1, R, scratch), whole numbers >= 0, k and R >= 1");
  const double* g = v + 3;
  const double KC = g[4] * g[4] * g[3], c0 = v[13], c1 = v[14];
  if (c1 > KC || c0 > c1) return fail(env, "unir native conv_dw: the rows [c0, c1) must lie in [0, k·k·C]");
  if (c1 == c0 || g[9] == 0) return NULL;
  if (!conv_inside(v[0], v[1], 0, 0, v[2], c1 * g[9] - 1, v[16], v[15] * (c1 - c0), g, bytes))
    return fail(env, "unir native conv_dw: an operand lies outside the wasm heap");
  conv_dw((const float*)(h + (long)v[0]), (const float*)(h + (long)v[1]), (float*)(h + (long)v[2]), (int)g[0], (int)g[1],
          (int)g[2], (int)g[3], (int)g[4], (int)g[5], (int)g[6], (int)g[7], (int)g[8], (int)g[9], (int)c0, (int)c1, (int)v[15],
          (float*)(h + (long)v[16]), fused);
  return NULL;
}

// force(level): tests run the AVX2 path on an AVX-512 machine (2), or go back to the one chosen at load (0).
static napi_value js_force(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  double v = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 || napi_get_value_double(env, argv[0], &v) != 0) {
    napi_throw_error(env, NULL, "unir native force: expected (level)");
    return NULL;
  }
  level = v == 2 && chosen >= 2 ? 2 : chosen;
  return NULL;
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  __builtin_cpu_init();
  chosen = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") ? 5 : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 2 : 0;
  level = chosen;
  napi_value f, s;
  const char* isa = level == 5 ? "avx512f" : level == 2 ? "avx2+fma" : "none";
  napi_create_string_utf8(env, isa, (size_t)-1, &s);
  napi_set_named_property(env, exports, "isa", s);
  if (level == 0) return exports;
  const struct {
    const char* name;
    napi_callback fn;
  } ops[] = {{"gemm", js_gemm},         {"gemm_batch", js_gemm_batch}, {"gelu_fwd", js_gelu_fwd}, {"gelu_bwd", js_gelu_bwd},
             {"attn_fwd", js_attn_fwd}, {"attn_bwd", js_attn_bwd},     {"conv_fwd", js_conv_fwd},
             {"conv_dw", js_conv_dw},   {"conv_dx", js_conv_dx},       {"adamw", js_adamw},
             {"adamw_rows", js_adamw_rows},
             {"force", js_force}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    napi_create_function(env, ops[i].name, (size_t)-1, ops[i].fn, NULL, &f);
    napi_set_named_property(env, exports, ops[i].name, f);
  }
  return exports;
}
