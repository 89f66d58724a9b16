// unir's gemm in native x86 code (AVX-512 or AVX2, chosen at load), a Node-API addon over the wasm backend's heap.
// Built on the machine at hand by native.ts (cc -O3 -shared; no node-gyp, no headers: the few Node-API calls are
// declared below). It computes kernels.c's gemm / gemm_batch to the bit: every c element is one chain over k in
// order 0, 1, …, K - 1 starting from +0 — a fused multiply-add per step for the columns kernels.c handles in 4-wide
// vectors (j < 4·⌊N/4⌋) when `fused` (the relaxed-SIMD build), a multiply then an add otherwise and for the last
// N mod 4 columns (kernels.c's scalar tail, which wasm cannot fuse). Vector width, blocking and packing change which
// elements are computed together, never the order of one element's sum. Compile with -ffp-contract=off.
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
                      int j1, int K) {
  for (int i = 0; i < M; i++)
    for (int j = j0; j < j1; j++) {
      const float* ai = a + i * sai;
      float s = 0;
      for (int k = 0; k < K; k++) {
        float p = ai[k * sak] * b[k * ldb + j];
        s = s + p;
      }
      c[i * ldc + j] = s;
    }
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
  if (rows == MR5) {
    for (int k = 0; k < K; k++) {
      const __m512 b0 = _mm512_load_ps(p + k * NR5), b1 = _mm512_load_ps(p + k * NR5 + 16);
      const float* ak = a + k * sak;
#pragma GCC unroll 8
      for (int r = 0; r < MR5; r++) {
        const __m512 x = _mm512_set1_ps(ak[r * sai]);
        c0[r] = step5(c0[r], x, b0, fused);
        c1[r] = step5(c1[r], x, b1, fused);
      }
    }
  } else {
    for (int k = 0; k < K; k++) {
      const __m512 b0 = _mm512_load_ps(p + k * NR5), b1 = _mm512_load_ps(p + k * NR5 + 16);
      const float* ak = a + k * sak;
      for (int r = 0; r < rows; r++) {
        const __m512 x = _mm512_set1_ps(ak[r * sai]);
        c0[r] = step5(c0[r], x, b0, fused);
        c1[r] = step5(c1[r], x, b1, fused);
      }
    }
  }
  for (int r = 0; r < rows; r++) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, c0[r]);
    if (m1) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, c1[r]);
  }
}

// micro5_impl specialised (inlined with constant arguments) for full blocks and for the fused / unfused step, so
// the inner loop has no branch and its accumulators stay in registers.
__attribute__((target("avx512f"))) static void micro5(const float* a, long sai, long sak, const float* p, float* c, long ldc,
                                                  int rows, int w, int K, int acc, int fused) {
  if (rows == MR5) {
    if (fused)
      micro5_impl(a, sai, sak, p, c, ldc, MR5, w, K, acc, 1);
    else
      micro5_impl(a, sai, sak, p, c, ldc, MR5, w, K, acc, 0);
  } else if (fused)
    micro5_impl(a, sai, sak, p, c, ldc, rows, w, K, acc, 1);
  else
    micro5_impl(a, sai, sak, p, c, ldc, rows, w, K, acc, 0);
}

// b is packed one block of KB rows × NB columns at a time (panels of NR5 columns, zero-padded), then every block of
// MB rows of a goes over all of its panels: the a block (MB × KB) stays in L2 and each panel in L1.
__attribute__((target("avx512f"))) static void gemm5(const float* a, long sai, long sak, const float* b, long ldb,
                                                     float* c, long ldc, int M, int N4, int K, int fused) {
  static __thread float pack[KB * NB] __attribute__((aligned(64)));
  for (int k0 = 0; k0 < K; k0 += KB) {
    const int kb = K - k0 < KB ? K - k0 : KB;
    for (int j0 = 0; j0 < N4; j0 += NB) {
      const int nb = N4 - j0 < NB ? N4 - j0 : NB;
      for (int j = 0; j < nb; j += NR5) {
        const int w = nb - j < NR5 ? nb - j : NR5;
        float* panel = pack + (long)j * kb;
        for (int k = 0; k < kb; k++) {
          const float* src = b + (long)(k0 + k) * ldb + j0 + j;
          float* dst = panel + k * NR5;
          for (int q = 0; q < NR5; q++) dst[q] = q < w ? src[q] : 0.0f;
        }
      }
      for (int i0 = 0; i0 < M; i0 += MB) {
        const int mb = M - i0 < MB ? M - i0 : MB;
        for (int j = 0; j < nb; j += NR5) {
          const int w = nb - j < NR5 ? nb - j : NR5;
          for (int i = i0; i < i0 + mb; i += MR5) {
            const int rows = i0 + mb - i < MR5 ? i0 + mb - i : MR5;
            micro5(a + i * sai + (long)k0 * sak, sai, sak, pack + (long)j * kb, c + i * ldc + j0 + j, ldc, rows, w, kb,
                   k0 > 0, fused);
          }
        }
      }
    }
  }
}

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
  if (rows == MR2) {
    for (int k = 0; k < K; k++) {
      const __m256 b0 = _mm256_load_ps(p + k * NR2), b1 = _mm256_load_ps(p + k * NR2 + 8);
      const float* ak = a + k * sak;
#pragma GCC unroll 6
      for (int r = 0; r < MR2; r++) {
        const __m256 x = _mm256_set1_ps(ak[r * sai]);
        c0[r] = step2(c0[r], x, b0, fused);
        c1[r] = step2(c1[r], x, b1, fused);
      }
    }
  } else {
    for (int k = 0; k < K; k++) {
      const __m256 b0 = _mm256_load_ps(p + k * NR2), b1 = _mm256_load_ps(p + k * NR2 + 8);
      const float* ak = a + k * sak;
      for (int r = 0; r < rows; r++) {
        const __m256 x = _mm256_set1_ps(ak[r * sai]);
        c0[r] = step2(c0[r], x, b0, fused);
        c1[r] = step2(c1[r], x, b1, fused);
      }
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

// micro2_impl specialised (inlined with constant arguments) for full blocks and for the fused / unfused step, so
// the inner loop has no branch and its accumulators stay in registers.
__attribute__((target("avx2,fma"))) static void micro2(const float* a, long sai, long sak, const float* p, float* c, long ldc,
                                                  int rows, int w, int K, int acc, int fused) {
  if (rows == MR2) {
    if (fused)
      micro2_impl(a, sai, sak, p, c, ldc, MR2, w, K, acc, 1);
    else
      micro2_impl(a, sai, sak, p, c, ldc, MR2, w, K, acc, 0);
  } else if (fused)
    micro2_impl(a, sai, sak, p, c, ldc, rows, w, K, acc, 1);
  else
    micro2_impl(a, sai, sak, p, c, ldc, rows, w, K, acc, 0);
}

// The same blocking as gemm5, in 16-column panels.
__attribute__((target("avx2,fma"))) static void gemm2(const float* a, long sai, long sak, const float* b, long ldb,
                                                      float* c, long ldc, int M, int N4, int K, int fused) {
  static __thread float pack[KB * NB] __attribute__((aligned(64)));
  for (int k0 = 0; k0 < K; k0 += KB) {
    const int kb = K - k0 < KB ? K - k0 : KB;
    for (int j0 = 0; j0 < N4; j0 += NB) {
      const int nb = N4 - j0 < NB ? N4 - j0 : NB;
      for (int j = 0; j < nb; j += NR2) {
        const int w = nb - j < NR2 ? nb - j : NR2;
        float* panel = pack + (long)j * kb;
        for (int k = 0; k < kb; k++) {
          const float* src = b + (long)(k0 + k) * ldb + j0 + j;
          float* dst = panel + k * NR2;
          for (int q = 0; q < NR2; q++) dst[q] = q < w ? src[q] : 0.0f;
        }
      }
      for (int i0 = 0; i0 < M; i0 += MB) {
        const int mb = M - i0 < MB ? M - i0 : MB;
        for (int j = 0; j < nb; j += NR2) {
          const int w = nb - j < NR2 ? nb - j : NR2;
          for (int i = i0; i < i0 + mb; i += MR2) {
            const int rows = i0 + mb - i < MR2 ? i0 + mb - i : MR2;
            micro2(a + i * sai + (long)k0 * sak, sai, sak, pack + (long)j * kb, c + i * ldc + j0 + j, ldc, rows, w, kb,
                   k0 > 0, fused);
          }
        }
      }
    }
  }
}

static int level, chosen; // 5: AVX-512, 2: AVX2 + FMA, 0: neither (then the addon exports no gemm)

// kernels.c gemm: c (M, N) = a·b, a's (i, k) at a[i·sai + k·sak], b and c row-major with row strides ldb, ldc.
static void gemm(const float* a, long sai, long sak, const float* b, long ldb, float* c, long ldc, int M, int N, int K,
                 int fused) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) c[i * ldc + j] = 0;
    return;
  }
  const int N4 = N & ~3;
  if (N4 > 0) {
    if (level == 5)
      gemm5(a, sai, sak, b, ldb, c, ldc, M, N4, K, fused);
    else
      gemm2(a, sai, sak, b, ldb, c, ldc, M, N4, K, fused);
  }
  if (N4 < N) tail_cols(a, sai, sak, b, ldb, c, ldc, M, N4, N, K);
}

// ---- Node-API ---------------------------------------------------------------------------------------------------
// gemm(heap, a, sai, sak, b, ldb, c, ldc, m, n, k, pack, fused): kernels.c's arguments (pack, its scratch, unused
// here: the addon packs into its own per-thread buffer) after the heap, then fused. heap is a Float32Array over the whole wasm memory (its
// base and length are read each call: a plain memory moves when it grows); a, b, c are byte addresses in it, and
// every float a product reads or writes is checked to lie in it (an error, as a wasm kernel traps).
// gemm_batch(heap, a, sai, sak, b, c, m, n, k, count, sa, sb, sc, pack, fused): kernels.c gemm_batch (strides in floats).
static int args(napi_env env, napi_callback_info info, size_t want, char** base, double* bytes, double* v) {
  napi_value argv[16]; // at most 15 arguments
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != want) return 0;
  void* data = NULL;
  size_t length = 0;
  int type = -1;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != 0 || type != 7) return 0; // napi_float32_array
  *base = (char*)data;
  *bytes = 4.0 * (double)length;
  for (size_t i = 1; i < want; i++)
    if (napi_get_value_double(env, argv[i], &v[i - 1]) != 0) return 0;
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

static napi_value js_gemm(napi_env env, napi_callback_info info) {
  char* h;
  double v[12], bytes;
  if (!args(env, info, 13, &h, &bytes, v) || !whole(v, 12)) {
    napi_throw_error(env, NULL, "unir native gemm: expected (Float32Array heap, a, sai, sak, b, ldb, c, ldc, m, n, k, pack, fused), whole numbers >= 0");
    return NULL;
  }
  const double m = v[7], n = v[8], k = v[9];
  if (m > 0 && n > 0 &&
      (!inside(v[5], (m - 1) * v[6] + n - 1, bytes) ||
       (k > 0 && (!inside(v[0], (m - 1) * v[1] + (k - 1) * v[2], bytes) || !inside(v[3], (k - 1) * v[4] + n - 1, bytes))))) {
    napi_throw_error(env, NULL, "unir native gemm: an operand lies outside the wasm heap");
    return NULL;
  }
  gemm((const float*)(h + (long)v[0]), (long)v[1], (long)v[2], (const float*)(h + (long)v[3]), (long)v[4],
       (float*)(h + (long)v[5]), (long)v[6], (int)m, (int)n, (int)k, (int)v[11]);
  return NULL;
}

static napi_value js_gemm_batch(napi_env env, napi_callback_info info) {
  char* h;
  double v[14], bytes;
  if (!args(env, info, 15, &h, &bytes, v) || !whole(v, 14)) {
    napi_throw_error(env, NULL,
                     "unir native gemm_batch: expected (Float32Array heap, a, sai, sak, b, c, m, n, k, count, sa, sb, sc, pack, fused), whole numbers >= 0");
    return NULL;
  }
  const double m = v[5], n = v[6], k = v[7], count = v[8], last = count - 1;
  if (m > 0 && n > 0 && count > 0 &&
      (!inside(v[4], last * v[11] + (m - 1) * n + n - 1, bytes) ||
       (k > 0 && (!inside(v[0], last * v[9] + (m - 1) * v[1] + (k - 1) * v[2], bytes) ||
                  !inside(v[3], last * v[10] + (k - 1) * n + n - 1, bytes))))) {
    napi_throw_error(env, NULL, "unir native gemm_batch: an operand lies outside the wasm heap");
    return NULL;
  }
  const long sa = (long)v[9], sb = (long)v[10], sc = (long)v[11];
  const float* a = (const float*)(h + (long)v[0]);
  const float* b = (const float*)(h + (long)v[3]);
  float* c = (float*)(h + (long)v[4]);
  for (int i = 0; i < (int)count; i++)
    gemm(a + i * sa, (long)v[1], (long)v[2], b + i * sb, (long)n, c + i * sc, (long)n, (int)m, (int)n, (int)k, (int)v[13]);
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
  chosen = __builtin_cpu_supports("avx512f") ? 5 : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 2 : 0;
  level = chosen;
  napi_value f, s;
  const char* isa = level == 5 ? "avx512f" : level == 2 ? "avx2+fma" : "none";
  napi_create_string_utf8(env, isa, (size_t)-1, &s);
  napi_set_named_property(env, exports, "isa", s);
  if (level == 0) return exports;
  napi_create_function(env, "gemm", (size_t)-1, js_gemm, NULL, &f);
  napi_set_named_property(env, exports, "gemm", f);
  napi_create_function(env, "gemm_batch", (size_t)-1, js_gemm_batch, NULL, &f);
  napi_set_named_property(env, exports, "gemm_batch", f);
  napi_create_function(env, "force", (size_t)-1, js_force, NULL, &f);
  napi_set_named_property(env, exports, "force", f);
  return exports;
}
