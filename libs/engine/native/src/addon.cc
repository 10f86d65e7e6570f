// Trainyard's native training kernels for TensorFlow.js' wasm backend.
//
// The wasm backend keeps every tensor in its WebAssembly memory; JS passes us that memory (HEAPU8) and
// the byte offsets of the tensors, and we compute in place with a blocked SGEMM (AVX-512, AVX2 or
// baseline SIMD, chosen at load time) plus im2col/col2im. Single-threaded like the wasm backend.
//
// Every exported function: f(heap: Uint8Array, params: Int32Array) -> undefined.
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#define TY_DECLARE(ns)                                                                                          \
  namespace ns {                                                                                                \
  void sgemm(int, int, int, const float*, int, bool, const float*, int, bool, float*, int, bool);               \
  void conv2d_c1(const int*, const float*, const float*, float*);                                              \
  void conv2d_c1_filter_grad(const int*, const float*, const float*, float*);                                  \
  void max_pool_grad_2x2(const int*, const float*, const float*, float*);                                      \
  void conv2d_direct(const int*, const float*, const float*, float*);                                          \
  void conv2d_direct_filter_grad(const int*, const float*, const float*, float*);                              \
  }
TY_DECLARE(ty_avx512)
TY_DECLARE(ty_avx2)
TY_DECLARE(ty_generic)

typedef void (*SgemmFn)(int, int, int, const float*, int, bool, const float*, int, bool, float*, int, bool);
typedef void (*ConvC1Fn)(const int*, const float*, const float*, float*);
static SgemmFn g_sgemm = ty_generic::sgemm;
static ConvC1Fn g_conv_c1 = ty_generic::conv2d_c1;
static ConvC1Fn g_conv_c1_dw = ty_generic::conv2d_c1_filter_grad;
static ConvC1Fn g_mpg_2x2 = ty_generic::max_pool_grad_2x2;
static ConvC1Fn g_conv_direct = ty_generic::conv2d_direct;
static ConvC1Fn g_conv_direct_dw = ty_generic::conv2d_direct_filter_grad;
static bool g_direct_conv = true;  // TRAINYARD_NATIVE_DIRECT_CONV=0 turns the direct Conv2D off (A/B)
static bool g_direct_dw = true;    // TRAINYARD_NATIVE_DIRECT_DW=0: im2col + GEMM filter gradient (A/B)
static const char* g_isa = "generic";
static const int g_nr_for_isa[] = {8, 16, 32};
static int g_nr = 8;

// Points every kernel at namespace ns (one of the TY_DECLARE'd ones) and records its name and tile width.
#define TY_USE(ns, name, nr_index)                                                                              \
  do {                                                                                                          \
    g_sgemm = ns::sgemm; g_isa = name; g_nr = g_nr_for_isa[nr_index];                                           \
    g_conv_c1 = ns::conv2d_c1; g_conv_c1_dw = ns::conv2d_c1_filter_grad;                                        \
    g_mpg_2x2 = ns::max_pool_grad_2x2; g_conv_direct = ns::conv2d_direct;                                       \
    g_conv_direct_dw = ns::conv2d_direct_filter_grad;                                                           \
  } while (0)

static void pick_isa() {
  // TRAINYARD_NATIVE_ISA=avx2|generic caps the instruction set (tests of the other code paths).
  const char* direct = std::getenv("TRAINYARD_NATIVE_DIRECT_CONV");
  g_direct_conv = !(direct && std::strcmp(direct, "0") == 0);
  const char* direct_dw = std::getenv("TRAINYARD_NATIVE_DIRECT_DW");
  g_direct_dw = !(direct_dw && std::strcmp(direct_dw, "0") == 0);
  const char* cap = std::getenv("TRAINYARD_NATIVE_ISA");
  const bool allow512 = !cap || std::strcmp(cap, "avx512") == 0;
  const bool allow2 = allow512 || std::strcmp(cap, "avx2") == 0;
#if defined(__x86_64__) && defined(TY_HAVE_X86)
  __builtin_cpu_init();
  if (allow512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
    TY_USE(ty_avx512, "avx512", 2);
    return;
  }
  if (allow2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    TY_USE(ty_avx2, "avx2", 1);
    return;
  }
#else
  (void)allow2;
#endif
  TY_USE(ty_generic, "generic", 0);
}

// Per thread: worker_threads in one process (the worker's concurrency setting) each train on their own.
static std::vector<float>& scratch(int which, size_t n) {
  static thread_local std::vector<float> bufs[4];
  if (bufs[which].size() < n) bufs[which].resize(n);
  return bufs[which];
}

// Register-tile padding cost of an M x N product (the micro-kernel computes MR x NR tiles).
static double tile_cost(int M, int N) {
  const int mr = 6;
  return (double)((M + mr - 1) / mr * mr) * (double)((N + g_nr - 1) / g_nr * g_nr);
}

// C[M,N] (+)= op(A) op(B). When the transposed product C^T = op(B)^T op(A)^T fills the register tiles
// better (N small next to the tile width), computes that into scratch and transposes it into C.
static void gemm(int M, int N, int K, const float* A, int lda, bool tA, const float* B, int ldb, bool tB, float* C,
                 int ldc, bool acc) {
  if (tile_cost(N, M) * 1.15 < tile_cost(M, N)) {
    std::vector<float>& t = scratch(2, (size_t)N * M);
    g_sgemm(N, M, K, B, ldb, !tB, A, lda, !tA, t.data(), M, false);
    for (int i = 0; i < M; i++) {
      float* c = C + (size_t)i * ldc;
      if (acc) for (int j = 0; j < N; j++) c[j] += t[(size_t)j * M + i];
      else for (int j = 0; j < N; j++) c[j] = t[(size_t)j * M + i];
    }
    return;
  }
  g_sgemm(M, N, K, A, lda, tA, B, ldb, tB, C, ldc, acc);
}

struct Conv {
  int n, h, w, ci, fh, fw, co, oh, ow, sh, sw, dh, dw, pt, pl;
  int K() const { return fh * fw * ci; }
  int P() const { return n * oh * ow; }
  bool pointwise() const { return fh == 1 && fw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && oh == h && ow == w; }
  int chunk() const { return std::max(64, std::min(P(), (1 << 17) / std::max(1, K()))); }
  // One input channel, horizontal stride 1, no dilation: the direct kernels (conv2d_c1*) apply.
  bool direct_c1() const { return ci == 1 && sw == 1 && dh == 1 && dw == 1 && co > 0 && oh > 0 && ow > 0; }
  void c1_geom(int* g) const {
    const int v[11] = {n, h, w, fh, fw, co, oh, ow, sh, pt, pl};
    std::memcpy(g, v, sizeof(v));
  }
};

static inline void copy_floats(float* dst, const float* src, int n) {
  if (n <= 16) for (int i = 0; i < n; i++) dst[i] = src[i];
  else std::memcpy(dst, src, n * sizeof(float));
}

// Rows p0..p0+pc of the im2col matrix ([P, fh*fw*ci], zero where the window leaves the image).
static void im2col(const Conv& c, const float* x, int p0, int pc, float* cols) {
  const int K = c.K();
  const int run = c.fw * c.ci;  // one filter row: contiguous in x when dw == 1
  for (int r = 0; r < pc; r++) {
    int p = p0 + r;
    int ox = p % c.ow, t = p / c.ow, oy = t % c.oh, b = t / c.oh;
    float* row = cols + (size_t)r * K;
    const int ix0 = ox * c.sw - c.pl;
    const bool inside_w = c.dw == 1 && ix0 >= 0 && ix0 + c.fw <= c.w;
    for (int fy = 0; fy < c.fh; fy++) {
      int iy = oy * c.sh + fy * c.dh - c.pt;
      float* dst_row = row + fy * run;
      if (iy < 0 || iy >= c.h) {
        std::memset(dst_row, 0, run * sizeof(float));
        continue;
      }
      const float* src_row = x + ((size_t)b * c.h + iy) * c.w * c.ci;
      if (inside_w) {
        copy_floats(dst_row, src_row + (size_t)ix0 * c.ci, run);
        continue;
      }
      for (int fx = 0; fx < c.fw; fx++) {
        int ix = ix0 + fx * c.dw;
        float* dst = dst_row + fx * c.ci;
        if (ix < 0 || ix >= c.w) std::memset(dst, 0, c.ci * sizeof(float));
        else copy_floats(dst, src_row + (size_t)ix * c.ci, c.ci);
      }
    }
  }
}

// Adds rows p0..p0+pc of an im2col-shaped matrix back into the image (the adjoint of im2col).
static void col2im(const Conv& c, const float* cols, int p0, int pc, float* dx) {
  const int K = c.K();
  for (int r = 0; r < pc; r++) {
    int p = p0 + r;
    int ox = p % c.ow, t = p / c.ow, oy = t % c.oh, b = t / c.oh;
    const float* row = cols + (size_t)r * K;
    for (int fy = 0; fy < c.fh; fy++) {
      int iy = oy * c.sh + fy * c.dh - c.pt;
      if (iy < 0 || iy >= c.h) continue;
      for (int fx = 0; fx < c.fw; fx++) {
        int ix = ox * c.sw + fx * c.dw - c.pl;
        if (ix < 0 || ix >= c.w) continue;
        const float* src = row + (fy * c.fw + fx) * c.ci;
        float* dst = dx + (((size_t)b * c.h + iy) * c.w + ix) * c.ci;
        for (int k = 0; k < c.ci; k++) dst[k] += src[k];
      }
    }
  }
}

// Whether the direct kernels (conv2d_direct*) take a convolution of this shape.
static bool direct_fits(const Conv& c) {
  return g_direct_conv && c.ci >= 2 && c.dh == 1 && c.dw == 1 && !c.pointwise() && c.co <= 64 &&
         (size_t)c.K() * c.co <= 65536 && c.oh > 0 && c.ow > 0;
}

// y[P, co] = im2col(x) w[K, co]
static void conv2d(const Conv& c, const float* x, const float* wt, float* y) {
  const int K = c.K(), P = c.P();
  if (c.direct_c1()) {
    int g[11];
    c.c1_geom(g);
    return g_conv_c1(g, x, wt, y);
  }
  // Small filter banks (LeNet conv2: 5x5x6 -> 16): direct, no im2col matrix.
  if (direct_fits(c)) {
    const int g[13] = {c.n, c.h, c.w, c.ci, c.fh, c.fw, c.co, c.oh, c.ow, c.sh, c.sw, c.pt, c.pl};
    return g_conv_direct(g, x, wt, y);
  }
  if (c.pointwise()) return gemm(P, c.co, K, x, K, false, wt, c.co, false, y, c.co, false);
  const int pc = c.chunk();
  float* cols = scratch(0, (size_t)pc * K).data();
  for (int p0 = 0; p0 < P; p0 += pc) {
    int n = std::min(pc, P - p0);
    im2col(c, x, p0, n, cols);
    gemm(n, c.co, K, cols, K, false, wt, c.co, false, y + (size_t)p0 * c.co, c.co, false);
  }
}

// dx = col2im(dy[P, co] w[K, co]^T); for stride 1 without dilation (ResNet's 3x3 convolutions), as
// the forward convolution of dy with the filter rotated by 180 degrees, in and out channels swapped,
// padded by f - 1 - pad: a GEMM whose inner dimension is fh*fw*co instead of co, and no col2im scatter.
static void conv2d_backprop_input(const Conv& c, const float* dy, const float* wt, float* dx) {
  const int K = c.K(), P = c.P();
  if (c.pointwise()) return gemm(P, K, c.co, dy, c.co, false, wt, c.co, true, dx, K, false);
  if (c.sh == 1 && c.sw == 1 && c.dh == 1 && c.dw == 1 && c.pt <= c.fh - 1 && c.pl <= c.fw - 1 && c.co > 1) {
    // rot[ky][kx][o][i] = w[fh-1-ky][fw-1-kx][i][o]
    float* rot = scratch(3, (size_t)K * c.co).data();
    for (int ky = 0; ky < c.fh; ky++)
      for (int kx = 0; kx < c.fw; kx++) {
        const float* src = wt + ((size_t)(c.fh - 1 - ky) * c.fw + (c.fw - 1 - kx)) * c.ci * c.co;
        float* dst = rot + ((size_t)ky * c.fw + kx) * c.co * c.ci;
        for (int i = 0; i < c.ci; i++)
          for (int o = 0; o < c.co; o++) dst[(size_t)o * c.ci + i] = src[(size_t)i * c.co + o];
      }
    const Conv t{c.n, c.oh, c.ow, c.co, c.fh, c.fw, c.ci, c.h, c.w, 1, 1, 1, 1, c.fh - 1 - c.pt, c.fw - 1 - c.pl};
    return conv2d(t, dy, rot, dx);
  }
  std::memset(dx, 0, (size_t)c.n * c.h * c.w * c.ci * sizeof(float));
  const int pc = c.chunk();
  float* cols = scratch(0, (size_t)pc * K).data();
  for (int p0 = 0; p0 < P; p0 += pc) {
    int n = std::min(pc, P - p0);
    gemm(n, K, c.co, dy + (size_t)p0 * c.co, c.co, false, wt, c.co, true, cols, K, false);
    col2im(c, cols, p0, n, dx);
  }
}

// dw[K, co] = im2col(x)^T dy[P, co]
static void conv2d_backprop_filter(const Conv& c, const float* x, const float* dy, float* dw) {
  const int K = c.K(), P = c.P();
  if (c.direct_c1()) {
    int g[11];
    c.c1_geom(g);
    return g_conv_c1_dw(g, x, dy, dw);
  }
  // At most 4 vectors of output channels (more: the pixel stream is re-read too often; GEMM wins).
  if (direct_fits(c) && g_direct_dw && c.co <= 2 * g_nr) {
    const int g[13] = {c.n, c.h, c.w, c.ci, c.fh, c.fw, c.co, c.oh, c.ow, c.sh, c.sw, c.pt, c.pl};
    return g_conv_direct_dw(g, x, dy, dw);
  }
  if (c.pointwise()) return gemm(K, c.co, P, x, K, true, dy, c.co, false, dw, c.co, false);
  const int pc = c.chunk();
  float* cols = scratch(0, (size_t)pc * K).data();
  for (int p0 = 0; p0 < P; p0 += pc) {
    int n = std::min(pc, P - p0);
    im2col(c, x, p0, n, cols);
    gemm(K, c.co, n, cols, K, true, dy + (size_t)p0 * c.co, c.co, false, dw, c.co, p0 > 0);
  }
}

// dx = MaxPoolGrad: each dy goes to the first in-bounds position holding its window's maximum
// (strict >, starting at -inf, as TensorFlow and the tfjs cpu backend).
// Windows that do not overlap and start inside the image (stride >= window, no top/left padding; the
// usual 2x2 stride-2 pool): each input belongs to at most one window, so dx is written, not accumulated,
// and the per-channel argmax is branch-free (vectorizes over channels). Same routing as below.
static void max_pool_grad_disjoint(const Conv& c, const float* __restrict x, const float* __restrict dy,
                                   float* __restrict dx) {
  const int C = c.ci;
  std::memset(dx, 0, (size_t)c.n * c.h * c.w * C * sizeof(float));
  const float* g = dy;
  for (int b = 0; b < c.n; b++) {
    const float* xb = x + (size_t)b * c.h * c.w * C;
    float* dxb = dx + (size_t)b * c.h * c.w * C;
    for (int oy = 0; oy < c.oh; oy++) {
      const int ya = oy * c.sh, yb = std::min(c.h, ya + c.fh);
      for (int ox = 0; ox < c.ow; ox++, g += C) {
        const int xa = ox * c.sw, xb2 = std::min(c.w, xa + c.fw);
        for (int c0 = 0; c0 < C; c0 += 8) {
          const int nc = std::min(8, C - c0);
          float best[8];
          int32_t where[8];
          for (int j = 0; j < 8; j++) { best[j] = -__builtin_inff(); where[j] = -1; }
          for (int yy = ya; yy < yb; yy++)
            for (int xx = xa; xx < xb2; xx++) {
              const int pos = (yy * c.w + xx) * C + c0;
              const float* v = xb + pos;
              float vals[8];
              for (int j = 0; j < 8; j++) vals[j] = j < nc ? v[j] : -__builtin_inff();
              for (int j = 0; j < 8; j++) {
                const bool gt = vals[j] > best[j];
                best[j] = gt ? vals[j] : best[j];
                where[j] = gt ? pos + j : where[j];
              }
            }
          for (int j = 0; j < nc; j++) if (where[j] >= 0) dxb[where[j]] = g[c0 + j];
        }
      }
    }
  }
}

// params (ConvBinding): [xOff, dyOff, dxOff, n, h, w, c, fh, fw, c, oh, ow, sh, sw, 1, 1, pt, pl]
static void max_pool_grad(const Conv& c, const float* x, const float* dy, float* dx) {
  const int C = c.ci;
  if (c.fh == 2 && c.fw == 2 && c.sh == 2 && c.sw == 2 && c.pt == 0 && c.pl == 0 && C > 0 && c.oh > 0 && c.ow > 0 &&
      c.h >= 2 * c.oh && c.w >= 2 * c.ow) {
    const int g[6] = {c.n, c.h, c.w, C, c.oh, c.ow};
    return g_mpg_2x2(g, x, dy, dx);
  }
  if (c.sh >= c.fh && c.sw >= c.fw && c.pt == 0 && c.pl == 0) return max_pool_grad_disjoint(c, x, dy, dx);
  std::memset(dx, 0, (size_t)c.n * c.h * c.w * C * sizeof(float));
  std::vector<float>& bestv = scratch(1, (size_t)C * 2);
  float* best = bestv.data();
  int32_t* where = reinterpret_cast<int32_t*>(best + C);
  const float* g = dy;
  for (int b = 0; b < c.n; b++) {
    const float* xb = x + (size_t)b * c.h * c.w * C;
    float* dxb = dx + (size_t)b * c.h * c.w * C;
    for (int oy = 0; oy < c.oh; oy++) {
      const int y0 = oy * c.sh - c.pt, ya = std::max(0, y0), yb = std::min(c.h, y0 + c.fh);
      for (int ox = 0; ox < c.ow; ox++, g += C) {
        const int x0 = ox * c.sw - c.pl, xa = std::max(0, x0), xb2 = std::min(c.w, x0 + c.fw);
        for (int ch = 0; ch < C; ch++) { best[ch] = -__builtin_inff(); where[ch] = -1; }
        for (int yy = ya; yy < yb; yy++)
          for (int xx = xa; xx < xb2; xx++) {
            const int pos = (yy * c.w + xx) * C;
            const float* v = xb + pos;
            for (int ch = 0; ch < C; ch++)
              if (v[ch] > best[ch]) { best[ch] = v[ch]; where[ch] = pos + ch; }
          }
        for (int ch = 0; ch < C; ch++) if (where[ch] >= 0) dxb[where[ch]] += g[ch];
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// N-API glue

struct Args {
  uint8_t* heap = nullptr;
  size_t heap_len = 0;
  int32_t* p = nullptr;
  size_t np = 0;
};

// argv[0] = heap (Uint8Array), argv[1] = params (Int32Array) into *a; false after throwing a TypeError.
static bool get_arrays(napi_env env, const napi_value* argv, Args* a) {
  napi_typedarray_type type;
  size_t len;
  void* data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &off) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, "heap must be a Uint8Array");
    return false;
  }
  a->heap = static_cast<uint8_t*>(data);
  a->heap_len = len;
  if (napi_get_typedarray_info(env, argv[1], &type, &len, &data, &ab, &off) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, nullptr, "params must be an Int32Array");
    return false;
  }
  a->p = static_cast<int32_t*>(data);
  a->np = len;
  return true;
}

// The arguments (heap, params) with at least min_params ints in params (else a RangeError: too_few).
static bool get_args(napi_env env, napi_callback_info info, Args* a, size_t min_params, const char* too_few) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2) {
    napi_throw_type_error(env, nullptr, "expected (heap: Uint8Array, params: Int32Array)");
    return false;
  }
  if (!get_arrays(env, argv, a)) return false;
  if (a->np < min_params) {
    napi_throw_range_error(env, nullptr, too_few);
    return false;
  }
  return true;
}

// The float tensor at byte offset off of the heap; F(a, i): the one whose offset is params[i].
static float* at(const Args& a, int32_t off) { return reinterpret_cast<float*>(a.heap + (uint32_t)off); }
static float* F(const Args& a, int i) { return at(a, a.p[i]); }

// params: [aOff, bOff, outOff, n, h, w, ci, fh, fw, co, oh, ow, sh, sw, dh, dw, pt, pl];
// kernel(conv, a, b, out). Conv2DBackpropInput: a = dy, b = filter, out = dx; Conv2DBackpropFilter:
// a = x, b = dy, out = dw; MaxPoolGrad: a = x, b = dy, out = dx.
template <void (*kernel)(const Conv&, const float*, const float*, float*)>
static napi_value ConvBinding(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 18, "conv params: 18 ints expected")) return nullptr;
  const int32_t* p = a.p + 3;
  const Conv c{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
  kernel(c, F(a, 0), F(a, 1), F(a, 2));
  return nullptr;
}

// params: [aOff, bOff, outOff, batchA, batchB, M, N, K, transA, transB]
static napi_value MatMul(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 10, "matmul params: 10 ints expected")) return nullptr;
  const int ba = a.p[3], bb = a.p[4], M = a.p[5], N = a.p[6], K = a.p[7];
  const bool tA = a.p[8] != 0, tB = a.p[9] != 0;
  const float* A = F(a, 0);
  const float* B = F(a, 1);
  float* C = F(a, 2);
  const int batch = std::max(ba, bb);
  for (int i = 0; i < batch; i++) {
    const float* Ai = A + (size_t)(ba == 1 ? 0 : i) * M * K;
    const float* Bi = B + (size_t)(bb == 1 ? 0 : i) * K * N;
    gemm(M, N, K, Ai, tA ? M : K, tA, Bi, tB ? K : N, tB, C + (size_t)i * M * N, N, false);
  }
  return nullptr;
}

// Rows per "wide row" for a row length of cols: 1 when rows are long enough to vectorize, else enough
// rows to make a multiple of 16 floats (at least 32).
static int wide_rows(int cols) {
  if (cols >= 32) return 1;
  int k = 1;
  while ((k * cols) % 16 != 0 || k * cols < 32) k++;
  return k;
}

// params: [xOff, -, outOff, rows, cols]: out[cols] = sum over rows of x[rows, cols] (bias gradients)
static napi_value SumRows(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 5, "sumRows params: 5 ints expected")) return nullptr;
  const float* x = F(a, 0);
  float* out = F(a, 2);
  const int rows = a.p[3], cols = a.p[4];
  if (rows <= 0 || cols <= 0) {
    for (int j = 0; j < cols; j++) out[j] = 0.f;
    return nullptr;
  }
  // Few columns (conv1's 6 channels): view k consecutive rows as one wide row of k*cols floats so the
  // inner loop vectorizes, then fold the wide columns back. Float partial sums over blocks of 64 (wide)
  // rows, added up in double (large batches x pixels stay accurate).
  const int k = wide_rows(cols);
  const int wide = k * cols, wrows = rows / k;
  std::vector<float>& accv = scratch(1, (size_t)wide);
  float* acc = accv.data();
  std::vector<double> total(wide, 0.0);
  for (int i0 = 0; i0 < wrows; i0 += 64) {
    const int i1 = std::min(wrows, i0 + 64);
    for (int j = 0; j < wide; j++) acc[j] = 0.f;
    for (int i = i0; i < i1; i++) {
      const float* r = x + (size_t)i * wide;
      for (int j = 0; j < wide; j++) acc[j] += r[j];
    }
    for (int j = 0; j < wide; j++) total[j] += acc[j];
  }
  for (int i = wrows * k; i < rows; i++)
    for (int j = 0; j < cols; j++) total[j] += x[(size_t)i * cols + j];
  for (int j = 0; j < cols; j++) {
    double t = 0.0;
    for (int q = 0; q < k; q++) t += total[(size_t)q * cols + j];
    out[j] = (float)t;
  }
  return nullptr;
}

// params: [xOff, bOff, outOff, rows, cols]: out[r, c] = x[r, c] + b[c] (a bias add; one float add per
// element, as the wasm backend's Add). Wide rows as in SumRows so the loop vectorizes for few columns.
static napi_value BiasAdd(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 5, "biasAdd params: 5 ints expected")) return nullptr;
  const float* __restrict x = F(a, 0);
  const float* __restrict bias = F(a, 1);
  float* __restrict out = F(a, 2);
  const int rows = a.p[3], cols = a.p[4];
  if (rows <= 0 || cols <= 0) return nullptr;
  const int k = wide_rows(cols);
  const int wide = k * cols, wrows = rows / k;
  std::vector<float>& bw = scratch(1, (size_t)wide);
  for (int j = 0; j < wide; j++) bw[j] = bias[j % cols];
  const float* __restrict b = bw.data();
  for (int i = 0; i < wrows; i++) {
    const float* r = x + (size_t)i * wide;
    float* o = out + (size_t)i * wide;
    for (int j = 0; j < wide; j++) o[j] = r[j] + b[j];
  }
  for (int i = wrows * k; i < rows; i++)
    for (int j = 0; j < cols; j++) out[(size_t)i * cols + j] = x[(size_t)i * cols + j] + bias[j];
  return nullptr;
}

// params: [dyOff, xOff, outOff, size]: ReLU's gradient in one pass, out = dy * step(x) with step(x) =
// 1 for x > 0, NaN for NaN, else 0 (tfjs' mul(dy, cast(step(x)))): one float multiply per element, so
// results are identical, -0 and NaN included.
static napi_value ReluGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 4, "reluGrad params: 4 ints expected")) return nullptr;
  const float* __restrict dy = F(a, 0);
  const float* __restrict x = F(a, 1);
  float* __restrict out = F(a, 2);
  const int n = a.p[3];
  const float nan = __builtin_nanf("");
  // Explicit 4-wide vectors (the scalar selects compile to branches at the baseline ISA).
  typedef float v4 __attribute__((vector_size(16), aligned(4), may_alias));
  const v4 one = {1.f, 1.f, 1.f, 1.f}, zero = {}, nanv = {nan, nan, nan, nan};
  int i0 = 0;
  for (; i0 + 4 <= n; i0 += 4) {
    const v4 v = *reinterpret_cast<const v4*>(x + i0);
    const v4 st = v > zero ? one : (v != v ? nanv : zero);
    *reinterpret_cast<v4*>(out + i0) = *reinterpret_cast<const v4*>(dy + i0) * st;
  }
  for (int i = i0; i < n; i++) {
    const float v = x[i];
    const float s = v > 0.f ? 1.f : (v != v ? nan : 0.f);
    out[i] = dy[i] * s;
  }
  return nullptr;
}

// params: [count, then per variable: varOff, accOff, gradOff, size, newVarOff, newAccOff]; m, c
// (= -learningRate) and nesterov as extra arguments. tfjs' Momentum update, one pass per variable,
// float32 with one rounding per op in tfjs' order (this unit is built with -ffp-contract=off: no fused
// multiply-add):  acc' = m*acc + g;  var' = c*acc' + var   (Nesterov: var' = c*(g + acc'*m) + var).
// The results go to new buffers: the wasm backend caches XNNPACK operators (packed weights) per
// buffer, so a weight must never change under the same buffer.
static void momentum_update(const float* v, const float* a, const float* g, int n, float* vo, float* ao, float m, float c,
                            bool nesterov) {
  if (nesterov) {
    for (int i = 0; i < n; i++) {
      const float gi = g[i];
      const float ma = m * a[i];
      const float acc = ma + gi;
      ao[i] = acc;
      const float am = acc * m;
      const float s = gi + am;
      const float cs = c * s;
      vo[i] = cs + v[i];
    }
  } else {
    for (int i = 0; i < n; i++) {
      const float ma = m * a[i];
      const float acc = ma + g[i];
      ao[i] = acc;
      const float ca = c * acc;
      vo[i] = ca + v[i];
    }
  }
}

static napi_value MomentumUpdate(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 5) {
    napi_throw_type_error(env, nullptr, "expected (heap, params, m, c, nesterov)");
    return nullptr;
  }
  Args a;
  if (!get_arrays(env, argv, &a)) return nullptr;
  double m, c;
  bool nesterov;
  if (napi_get_value_double(env, argv[2], &m) != napi_ok || napi_get_value_double(env, argv[3], &c) != napi_ok ||
      napi_get_value_bool(env, argv[4], &nesterov) != napi_ok) {
    napi_throw_type_error(env, nullptr, "m, c must be numbers and nesterov a boolean");
    return nullptr;
  }
  const int count = a.np > 0 ? a.p[0] : 0;
  if (count < 0 || a.np < (size_t)(1 + 6 * count)) {
    napi_throw_range_error(env, nullptr, "momentumUpdate params: 1 + 6*count ints expected");
    return nullptr;
  }
  for (int k = 0; k < count; k++) {
    const int32_t* q = a.p + 1 + 6 * k;
    if (q[3] < 0) {
      napi_throw_range_error(env, nullptr, "momentumUpdate: negative size");
      return nullptr;
    }
    for (int j : {0, 1, 2, 4, 5}) {
      if ((uint64_t)(uint32_t)q[j] + (uint64_t)(uint32_t)q[3] * 4 > a.heap_len) {
        napi_throw_range_error(env, nullptr, "momentumUpdate: tensor outside the heap");
        return nullptr;
      }
    }
  }
  for (int k = 0; k < count; k++) {
    const int32_t* q = a.p + 1 + 6 * k;
    momentum_update(at(a, q[0]), at(a, q[1]), at(a, q[2]), q[3], at(a, q[4]), at(a, q[5]), (float)m, (float)c,
                    nesterov);
  }
  return nullptr;
}

// Batch normalization in training, over x viewed as [rows, cols] (NHWC: cols = channels), one kernel
// each way instead of tfjs' moments + FusedBatchNorm and their autodiff (a dozen full-size passes).
// Statistics are accumulated in double. Both take (heap, params, epsilon).
static bool bn_args(napi_env env, napi_callback_info info, Args* a, double* eps, size_t nparams, const char* what) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 3) {
    napi_throw_type_error(env, nullptr, "expected (heap, params, epsilon)");
    return false;
  }
  if (!get_arrays(env, argv, a)) return false;
  if (napi_get_value_double(env, argv[2], eps) != napi_ok || !(*eps >= 0)) {
    napi_throw_type_error(env, nullptr, "epsilon must be a number >= 0");
    return false;
  }
  if (a->np < nparams) {
    napi_throw_range_error(env, nullptr, what);
    return false;
  }
  return true;
}

// Whether the float tensors at params[idx...] of `count` floats each lie inside the heap.
static bool in_heap(napi_env env, const Args& a, std::initializer_list<int> idx, uint64_t count) {
  for (int i : idx) {
    if ((uint64_t)(uint32_t)a.p[i] + count * 4 > a.heap_len) {
      napi_throw_range_error(env, nullptr, "batch norm: tensor outside the heap");
      return false;
    }
  }
  return true;
}

// params: [xOff, gammaOff, betaOff, yOff, meanOff, varOff, rows, cols]:
// mean[c], var[c] (biased, as tf.moments) over rows; y = (x - mean) * (gamma / sqrt(var + eps)) + beta.
static napi_value BatchNormTrain(napi_env env, napi_callback_info info) {
  Args a;
  double eps;
  if (!bn_args(env, info, &a, &eps, 8, "batchNormTrain params: 8 ints expected")) return nullptr;
  const int rows = a.p[6], cols = a.p[7];
  if (rows <= 0 || cols <= 0) return nullptr;
  if (!in_heap(env, a, {0, 3}, (uint64_t)rows * cols) || !in_heap(env, a, {1, 2, 4, 5}, (uint64_t)cols)) return nullptr;
  const float* __restrict x = F(a, 0);
  const float* __restrict gamma = F(a, 1);
  const float* __restrict beta = F(a, 2);
  float* __restrict y = F(a, 3);
  float* __restrict mean_out = F(a, 4);
  float* __restrict var_out = F(a, 5);
  std::vector<double> acc((size_t)cols, 0.0);
  for (int r = 0; r < rows; r++) {
    const float* xr = x + (size_t)r * cols;
    for (int c = 0; c < cols; c++) acc[c] += xr[c];
  }
  std::vector<float> mean((size_t)cols), scale((size_t)cols), shift((size_t)cols);
  for (int c = 0; c < cols; c++) {
    mean[c] = (float)(acc[c] / rows);
    acc[c] = 0.0;
  }
  for (int r = 0; r < rows; r++) {
    const float* xr = x + (size_t)r * cols;
    for (int c = 0; c < cols; c++) {
      const double d = (double)xr[c] - mean[c];
      acc[c] += d * d;
    }
  }
  for (int c = 0; c < cols; c++) {
    const float var = (float)(acc[c] / rows);
    mean_out[c] = mean[c];
    var_out[c] = var;
    scale[c] = (float)(gamma[c] / std::sqrt((double)var + eps));
    shift[c] = beta[c];
  }
  const float* __restrict m = mean.data();
  const float* __restrict k = scale.data();
  const float* __restrict b = shift.data();
  for (int r = 0; r < rows; r++) {
    const float* xr = x + (size_t)r * cols;
    float* yr = y + (size_t)r * cols;
    for (int c = 0; c < cols; c++) yr[c] = (xr[c] - m[c]) * k[c] + b[c];
  }
  return nullptr;
}

// params: [dyOff, xOff, gammaOff, meanOff, varOff, dxOff, dgammaOff, dbetaOff, rows, cols]: the gradient
// of BatchNormTrain (batch statistics included): with xhat = (x - mean) * invstd, N = rows,
//   dbeta = sum(dy), dgamma = sum(dy * xhat), dx = gamma * invstd * (dy - dbeta / N - xhat * dgamma / N).
static napi_value BatchNormTrainGrad(napi_env env, napi_callback_info info) {
  Args a;
  double eps;
  if (!bn_args(env, info, &a, &eps, 10, "batchNormTrainGrad params: 10 ints expected")) return nullptr;
  const int rows = a.p[8], cols = a.p[9];
  if (rows <= 0 || cols <= 0) return nullptr;
  if (!in_heap(env, a, {0, 1, 5}, (uint64_t)rows * cols) || !in_heap(env, a, {2, 3, 4, 6, 7}, (uint64_t)cols)) return nullptr;
  const float* __restrict dy = F(a, 0);
  const float* __restrict x = F(a, 1);
  const float* __restrict gamma = F(a, 2);
  const float* __restrict mean = F(a, 3);
  const float* __restrict var = F(a, 4);
  float* __restrict dx = F(a, 5);
  float* __restrict dgamma = F(a, 6);
  float* __restrict dbeta = F(a, 7);
  std::vector<double> sdy((size_t)cols, 0.0), sdyx((size_t)cols, 0.0);
  for (int r = 0; r < rows; r++) {
    const float* dr = dy + (size_t)r * cols;
    const float* xr = x + (size_t)r * cols;
    for (int c = 0; c < cols; c++) {
      sdy[c] += dr[c];
      sdyx[c] += (double)dr[c] * ((double)xr[c] - mean[c]);
    }
  }
  std::vector<float> m((size_t)cols), k1((size_t)cols), k2((size_t)cols), k3((size_t)cols);
  for (int c = 0; c < cols; c++) {
    const double invstd = 1.0 / std::sqrt((double)var[c] + eps);
    dbeta[c] = (float)sdy[c];
    dgamma[c] = (float)(sdyx[c] * invstd);
    // dx = k1 * dy - k2 - (x - mean) * k3
    k1[c] = (float)(gamma[c] * invstd);
    k2[c] = (float)(gamma[c] * invstd * sdy[c] / rows);
    k3[c] = (float)(gamma[c] * invstd * invstd * invstd * sdyx[c] / rows);
    m[c] = mean[c];
  }
  const float* __restrict pm = m.data();
  const float* __restrict p1 = k1.data();
  const float* __restrict p2 = k2.data();
  const float* __restrict p3 = k3.data();
  for (int r = 0; r < rows; r++) {
    const float* dr = dy + (size_t)r * cols;
    const float* xr = x + (size_t)r * cols;
    float* o = dx + (size_t)r * cols;
    for (int c = 0; c < cols; c++) o[c] = p1[c] * dr[c] - p2[c] - (xr[c] - pm[c]) * p3[c];
  }
  return nullptr;
}

static napi_value Init(napi_env env, napi_value exports) {
  pick_isa();
  napi_property_descriptor props[] = {
      {"conv2d", nullptr, ConvBinding<conv2d>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, ConvBinding<conv2d_backprop_input>, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"conv2dBackpropFilter", nullptr, ConvBinding<conv2d_backprop_filter>, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"matMul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, ConvBinding<max_pool_grad>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumRows", nullptr, SumRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"momentumUpdate", nullptr, MomentumUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"biasAdd", nullptr, BiasAdd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluGrad", nullptr, ReluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrain", nullptr, BatchNormTrain, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainGrad", nullptr, BatchNormTrainGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  napi_value isa;
  napi_create_string_utf8(env, g_isa, NAPI_AUTO_LENGTH, &isa);
  napi_set_named_property(env, exports, "isa", isa);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
