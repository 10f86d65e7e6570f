// Single-precision GEMM, included once per instruction set (gemm_avx512.cc, gemm_avx2.cc,
// gemm_generic.cc) with TY_VW (floats per vector) and TY_NS (namespace) defined.
//
//   C[M,N] = (accumulate ? C : 0) + op(A)[M,K] * op(B)[K,N]
//   op(A)(i,k) = transA ? A[k*lda + i] : A[i*lda + k];  op(B)(k,j) = transB ? B[j*ldb + k] : B[k*ldb + j]
//
// Blocked the usual way: B is packed into K x NR panels, A into MR x K panels (the transposes are
// absorbed by the packing), and an MR x NR register-tile micro-kernel runs over each pair.
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace TY_NS {

typedef float vf __attribute__((vector_size(TY_VW * 4), aligned(4), may_alias));
static const int VW = TY_VW;
static const int NR = 2 * TY_VW;
static const int MR = 6;
static const int KC = 256;
static const int MC = MR * 20;
static const int NC = NR * 32;

// vf is declared with 4-byte alignment, so these are unaligned vector loads/stores.
static inline vf load(const float* p) { return *reinterpret_cast<const vf*>(p); }
static inline void store(float* p, vf v) { *reinterpret_cast<vf*>(p) = v; }

// Scratch buffers (packed panels, padded images), grown on demand; per thread, since worker_threads in
// one process (the worker's concurrency setting) may train at the same time. Freed at thread exit.
struct ScratchBufs {
  float* buf[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  size_t cap[5] = {0, 0, 0, 0, 0};
  ~ScratchBufs() {
    for (float* b : buf) std::free(b);
  }
};
static float* scratch(size_t n, int which) {
  static thread_local ScratchBufs s;
  if (n > s.cap[which]) {
    std::free(s.buf[which]);
    s.buf[which] = static_cast<float*>(std::aligned_alloc(64, ((n * 4 + 63) / 64) * 64));
    s.cap[which] = n;
  }
  return s.buf[which];
}

// Panels are written in micro-kernel order ([k][MR] for A, [k][NR] for B); each source row or column
// is read contiguously, and short panels are zero-padded.
static void packA(const float* A, int lda, bool trans, int i0, int mc, int k0, int kc, float* out) {
  for (int ip = 0; ip < mc; ip += MR, out += (size_t)kc * MR) {
    int mr = std::min(MR, mc - ip);
    if (trans) {
      for (int k = 0; k < kc; k++) {
        const float* src = A + (size_t)(k0 + k) * lda + i0 + ip;
        float* dst = out + (size_t)k * MR;
        for (int r = 0; r < mr; r++) dst[r] = src[r];
        for (int r = mr; r < MR; r++) dst[r] = 0.f;
      }
    } else {
      if (mr < MR) std::memset(out, 0, (size_t)kc * MR * sizeof(float));
      for (int r = 0; r < mr; r++) {
        const float* src = A + (size_t)(i0 + ip + r) * lda + k0;
        for (int k = 0; k < kc; k++) out[(size_t)k * MR + r] = src[k];
      }
    }
  }
}

static void packB(const float* B, int ldb, bool trans, int k0, int kc, int j0, int nc, float* out) {
  for (int jp = 0; jp < nc; jp += NR, out += (size_t)kc * NR) {
    int nr = std::min(NR, nc - jp);
    if (!trans) {
      for (int k = 0; k < kc; k++) {
        const float* src = B + (size_t)(k0 + k) * ldb + j0 + jp;
        float* dst = out + (size_t)k * NR;
        if (nr == NR) std::memcpy(dst, src, NR * sizeof(float));
        else {
          for (int c = 0; c < nr; c++) dst[c] = src[c];
          for (int c = nr; c < NR; c++) dst[c] = 0.f;
        }
      }
    } else {
      if (nr < NR) std::memset(out, 0, (size_t)kc * NR * sizeof(float));
      for (int c = 0; c < nr; c++) {
        const float* src = B + (size_t)(j0 + jp + c) * ldb + k0;
        for (int k = 0; k < kc; k++) out[(size_t)k * NR + c] = src[k];
      }
    }
  }
}

static inline void ukernel(int kc, const float* Ap, const float* Bp, float* C, int ldc, int mr, int nr, bool acc) {
  vf c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {};
  vf c30 = {}, c31 = {}, c40 = {}, c41 = {}, c50 = {}, c51 = {};
  for (int k = 0; k < kc; k++) {
    vf b0 = load(Bp), b1 = load(Bp + VW);
    // vector * scalar broadcasts the scalar (GCC/Clang vector extensions)
    float a;
    a = Ap[0]; c00 += b0 * a; c01 += b1 * a;
    a = Ap[1]; c10 += b0 * a; c11 += b1 * a;
    a = Ap[2]; c20 += b0 * a; c21 += b1 * a;
    a = Ap[3]; c30 += b0 * a; c31 += b1 * a;
    a = Ap[4]; c40 += b0 * a; c41 += b1 * a;
    a = Ap[5]; c50 += b0 * a; c51 += b1 * a;
    Ap += MR;
    Bp += NR;
  }
  vf rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (nr == NR) {
    for (int i = 0; i < mr; i++) {
      float* p = C + (size_t)i * ldc;
      if (acc) {
        store(p, load(p) + rows[i][0]);
        store(p + VW, load(p + VW) + rows[i][1]);
      } else {
        store(p, rows[i][0]);
        store(p + VW, rows[i][1]);
      }
    }
  } else {
    for (int i = 0; i < mr; i++) {
      float t[NR];
      store(t, rows[i][0]);
      store(t + VW, rows[i][1]);
      float* p = C + (size_t)i * ldc;
      if (acc) for (int j = 0; j < nr; j++) p[j] += t[j];
      else for (int j = 0; j < nr; j++) p[j] = t[j];
    }
  }
}

void sgemm(int M, int N, int K, const float* A, int lda, bool transA, const float* B, int ldb, bool transB,
           float* C, int ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) for (int i = 0; i < M; i++) std::memset(C + (size_t)i * ldc, 0, N * sizeof(float));
    return;
  }
  float* Bp = scratch((size_t)KC * (NC + NR), 0);
  float* Ap = scratch((size_t)KC * (MC + MR), 1);
  for (int j0 = 0; j0 < N; j0 += NC) {
    int nc = std::min(NC, N - j0);
    for (int k0 = 0; k0 < K; k0 += KC) {
      int kc = std::min(KC, K - k0);
      bool acc = accumulate || k0 > 0;
      packB(B, ldb, transB, k0, kc, j0, nc, Bp);
      for (int i0 = 0; i0 < M; i0 += MC) {
        int mc = std::min(MC, M - i0);
        packA(A, lda, transA, i0, mc, k0, kc, Ap);
        for (int jp = 0; jp < nc; jp += NR) {
          int nr = std::min(NR, nc - jp);
          const float* bp = Bp + (size_t)(jp / NR) * kc * NR;
          for (int ip = 0; ip < mc; ip += MR) {
            int mr = std::min(MR, mc - ip);
            const float* ap = Ap + (size_t)(ip / MR) * kc * MR;
            ukernel(kc, ap, bp, C + (size_t)(i0 + ip) * ldc + j0 + jp, ldc, mr, nr, acc);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Direct convolution for a single input channel (ci == 1: the first layer of a grayscale model), with
// a horizontal stride of 1 and no dilation. im2col + GEMM is a poor fit there (K = fh*fw is tiny, N =
// co is below the register tile, and the im2col matrix is fh*fw times the image); instead each output
// row is a sum of fh*fw shifted input rows times a broadcast weight, VW output pixels per vector and 8
// output channels per register block.
//
// Both work on a zero-padded copy of one image: PH rows of PW floats, so that every vector load of a
// row (up to nch*VW + fw - 1 floats) stays inside it and out-of-image taps read zeros.
struct C1Geom {
  int n, h, w, fh, fw, co, oh, ow, sh, pt, pl;
  int nch() const { return (ow + VW - 1) / VW; }
  int TW() const { return nch() * VW; }
  int PW() const { return TW() + fw - 1; }
  int PH() const { return (oh - 1) * sh + fh; }
  int cob() const { return (co + 7) / 8 * 8; }
};

static void pad_image(const C1Geom& g, const float* x, float* xp) {
  const int PW = g.PW(), PH = g.PH();
  for (int py = 0; py < PH; py++) {
    float* dst = xp + (size_t)py * PW;
    const int iy = py - g.pt;
    std::memset(dst, 0, (size_t)PW * sizeof(float));
    if (iy < 0 || iy >= g.h) continue;
    const int ix0 = std::max(0, g.pl), ix1 = std::min(PW, g.w + g.pl);  // padded columns with data
    if (ix1 > ix0) std::memcpy(dst + ix0, x + (size_t)iy * g.w + (ix0 - g.pl), (size_t)(ix1 - ix0) * sizeof(float));
  }
}

// y[n, oh, ow, co] = conv(x[n, h, w, 1], wt[fh, fw, 1, co])
void conv2d_c1(const int* geom, const float* x, const float* wt, float* y) {
  const C1Geom g{geom[0], geom[1], geom[2], geom[3], geom[4], geom[5], geom[6], geom[7], geom[8], geom[9], geom[10]};
  const int K = g.fh * g.fw, cob = g.cob(), TW = g.TW(), PW = g.PW(), nch = g.nch();
  float* xp = scratch((size_t)g.PH() * PW + VW, 2);
  float* wp = scratch((size_t)K * cob, 3);
  float* tmp = scratch((size_t)cob * TW, 4);
  for (int k = 0; k < K; k++)
    for (int c = 0; c < cob; c++) wp[(size_t)k * cob + c] = c < g.co ? wt[(size_t)k * g.co + c] : 0.f;
  for (int b = 0; b < g.n; b++) {
    pad_image(g, x + (size_t)b * g.h * g.w, xp);
    for (int oy = 0; oy < g.oh; oy++) {
      const float* rows = xp + (size_t)oy * g.sh * PW;
      for (int cb = 0; cb < cob; cb += 8) {
        for (int ch = 0; ch < nch; ch++) {
          vf acc[8] = {};
          for (int fy = 0; fy < g.fh; fy++) {
            const float* r = rows + (size_t)fy * PW + ch * VW;
            const float* wk = wp + (size_t)fy * g.fw * cob + cb;
            for (int fx = 0; fx < g.fw; fx++, wk += cob) {
              const vf xv = load(r + fx);
              for (int j = 0; j < 8; j++) acc[j] += xv * wk[j];
            }
          }
          for (int j = 0; j < 8; j++) store(tmp + (size_t)(cb + j) * TW + ch * VW, acc[j]);
        }
      }
      float* out = y + ((size_t)b * g.oh + oy) * g.ow * g.co;
      for (int ox = 0; ox < g.ow; ox++)
        for (int c = 0; c < g.co; c++) out[(size_t)ox * g.co + c] = tmp[(size_t)c * TW + ox];
    }
  }
}

// dw[fh, fw, 1, co] = sum over n, oy, ox of xpad[n, oy*sh + fy, ox + fx] * dy[n, oy, ox, co]
void conv2d_c1_filter_grad(const int* geom, const float* x, const float* dy, float* dw) {
  const C1Geom g{geom[0], geom[1], geom[2], geom[3], geom[4], geom[5], geom[6], geom[7], geom[8], geom[9], geom[10]};
  const int K = g.fh * g.fw, cob = g.cob(), TW = g.TW(), PW = g.PW(), nch = g.nch();
  float* xp = scratch((size_t)g.PH() * PW + VW, 2);
  float* dyt = scratch((size_t)g.oh * cob * TW, 3);  // one image of dy, [oh][cob][TW], zero-padded
  float* accs = scratch((size_t)K * cob * VW, 4);    // per-tap, per-channel vector partial sums
  std::memset(dyt, 0, (size_t)g.oh * cob * TW * sizeof(float));
  std::memset(accs, 0, (size_t)K * cob * VW * sizeof(float));
  for (int b = 0; b < g.n; b++) {
    pad_image(g, x + (size_t)b * g.h * g.w, xp);
    const float* src = dy + (size_t)b * g.oh * g.ow * g.co;
    for (int oy = 0; oy < g.oh; oy++)
      for (int ox = 0; ox < g.ow; ox++)
        for (int c = 0; c < g.co; c++) dyt[((size_t)oy * cob + c) * TW + ox] = src[((size_t)oy * g.ow + ox) * g.co + c];
    for (int fy = 0; fy < g.fh; fy++) {
      for (int fx = 0; fx < g.fw; fx++) {
        const int k = fy * g.fw + fx;
        for (int cb = 0; cb < cob; cb += 8) {
          vf acc[8] = {};
          for (int oy = 0; oy < g.oh; oy++) {
            const float* r = xp + (size_t)(oy * g.sh + fy) * PW + fx;
            const float* d = dyt + ((size_t)oy * cob + cb) * TW;
            for (int ch = 0; ch < nch; ch++) {
              const vf xv = load(r + ch * VW);
              for (int j = 0; j < 8; j++) acc[j] += xv * load(d + (size_t)j * TW + ch * VW);
            }
          }
          float* a = accs + ((size_t)k * cob + cb) * VW;
          for (int j = 0; j < 8; j++) store(a + (size_t)j * VW, load(a + (size_t)j * VW) + acc[j]);
        }
      }
    }
  }
  for (int k = 0; k < K; k++)
    for (int c = 0; c < g.co; c++) {
      const float* a = accs + ((size_t)k * cob + c) * VW;
      float s = 0.f;
      for (int l = 0; l < VW; l++) s += a[l];
      dw[(size_t)k * g.co + c] = s;
    }
}

// ---------------------------------------------------------------------------------------------------
// Direct ("implicit GEMM") Conv2D for small filters banks (geom: n, h, w, ci, fh, fw, co, oh, ow, sh, sw,
// pt, pl; no dilation): the im2col matrix is never built. Output pixels are computed R at a time, VW
// output channels per vector: for each filter tap and input channel, one weight vector and R broadcast
// input values. The weights ([K][cob], zero-padded to whole vectors) stay in L1 for the filter banks
// this is used for; the input is a zero-padded copy of one image.
void conv2d_direct(const int* geom, const float* x, const float* wt, float* y) {
  const int n = geom[0], h = geom[1], w = geom[2], ci = geom[3], fh = geom[4], fw = geom[5], co = geom[6];
  const int oh = geom[7], ow = geom[8], sh = geom[9], sw = geom[10], pt = geom[11], pl = geom[12];
  const int R = 8;
  const int cob = (co + VW - 1) / VW * VW, K = fh * fw * ci;
  const int PH = (oh - 1) * sh + fh, PW = (ow - 1) * sw + fw;
  float* xp = scratch((size_t)PH * PW * ci, 2);
  float* wp = scratch((size_t)K * cob, 3);
  for (int k = 0; k < K; k++)
    for (int c = 0; c < cob; c++) wp[(size_t)k * cob + c] = c < co ? wt[(size_t)k * co + c] : 0.f;
  const size_t rowf = (size_t)PW * ci;  // floats per padded row
  for (int b = 0; b < n; b++) {
    const float* xb = x + (size_t)b * h * w * ci;
    for (int py = 0; py < PH; py++) {
      float* dst = xp + (size_t)py * rowf;
      const int iy = py - pt;
      std::memset(dst, 0, rowf * sizeof(float));
      if (iy < 0 || iy >= h) continue;
      const int px0 = std::max(0, pl), px1 = std::min(PW, w + pl);
      if (px1 > px0) std::memcpy(dst + (size_t)px0 * ci, xb + ((size_t)iy * w + (px0 - pl)) * ci, (size_t)(px1 - px0) * ci * sizeof(float));
    }
    for (int oy = 0; oy < oh; oy++) {
      float* yrow = y + ((size_t)b * oh + oy) * ow * co;
      for (int ox0 = 0; ox0 < ow; ox0 += R) {
        const int nr = std::min(R, ow - ox0);
        size_t off[R];  // padded-image offset of each pixel's window (partial blocks repeat the last)
        for (int r = 0; r < R; r++) off[r] = (size_t)(std::min(ox0 + r, ow - 1) * sw) * ci;
        for (int cb = 0; cb < cob; cb += VW) {
          vf acc[R] = {};
          for (int fy = 0; fy < fh; fy++) {
            const float* xr = xp + (size_t)(oy * sh + fy) * rowf;
            for (int fx = 0; fx < fw; fx++) {
              const float* xt = xr + (size_t)fx * ci;
              const float* wk = wp + ((size_t)(fy * fw + fx) * ci) * cob + cb;
              for (int c = 0; c < ci; c++, wk += cob) {
                const vf wv = load(wk);
                for (int r = 0; r < R; r++) acc[r] += wv * xt[off[r] + c];
              }
            }
          }
          if (cb + VW <= co) {
            for (int r = 0; r < nr; r++) store(yrow + (size_t)(ox0 + r) * co + cb, acc[r]);
          } else {
            float t[VW];
            for (int r = 0; r < nr; r++) {
              store(t, acc[r]);
              for (int j = 0; j < co - cb; j++) yrow[(size_t)(ox0 + r) * co + cb + j] = t[j];
            }
          }
        }
      }
    }
  }
}

// Filter gradient for the same shapes (geom as conv2d_direct): dw[k, co] = sum over pixels p of
// X[p, k] * dy[p, co], X the implicit im2col matrix (k = (fy*fw + fx)*ci + c). Per image, KB taps at a
// time stay in registers (one vector of output channels each) while the image's pixels stream by: one
// dy vector and KB broadcast inputs per pixel. Per-image partial sums are added into dw in float.
void conv2d_direct_filter_grad(const int* geom, const float* x, const float* dy, float* dw) {
  const int n = geom[0], h = geom[1], w = geom[2], ci = geom[3], fh = geom[4], fw = geom[5], co = geom[6];
  const int oh = geom[7], ow = geom[8], sh = geom[9], sw = geom[10], pt = geom[11], pl = geom[12];
  const int KB = 8;
  const int cob = (co + VW - 1) / VW * VW, K = fh * fw * ci, KP = (K + KB - 1) / KB * KB;
  const int PH = (oh - 1) * sh + fh, PW = (ow - 1) * sw + fw;
  const size_t rowf = (size_t)PW * ci;
  float* xp = scratch(rowf * PH, 2);
  float* acc_all = scratch((size_t)KP * cob, 3);
  float* dyp = scratch((size_t)oh * ow * cob + VW, 4);  // one image of dy, channels padded to cob
  std::vector<int> koff(KP, 0);
  for (int fy = 0; fy < fh; fy++)
    for (int fx = 0; fx < fw; fx++)
      for (int c = 0; c < ci; c++) koff[(fy * fw + fx) * ci + c] = (int)((size_t)fy * rowf + (size_t)fx * ci + c);
  std::memset(acc_all, 0, (size_t)KP * cob * sizeof(float));
  std::memset(dyp, 0, ((size_t)oh * ow * cob + VW) * sizeof(float));
  const int P = oh * ow;
  for (int b = 0; b < n; b++) {
    const float* xb = x + (size_t)b * h * w * ci;
    for (int py = 0; py < PH; py++) {
      float* dst = xp + (size_t)py * rowf;
      const int iy = py - pt;
      std::memset(dst, 0, rowf * sizeof(float));
      if (iy < 0 || iy >= h) continue;
      const int px0 = std::max(0, pl), px1 = std::min(PW, w + pl);
      if (px1 > px0) std::memcpy(dst + (size_t)px0 * ci, xb + ((size_t)iy * w + (px0 - pl)) * ci, (size_t)(px1 - px0) * ci * sizeof(float));
    }
    const float* dyb = dy + (size_t)b * P * co;
    const float* dsrc = dyb;
    size_t dstride = co;
    if (cob != co) {
      for (int p = 0; p < P; p++) std::memcpy(dyp + (size_t)p * cob, dyb + (size_t)p * co, (size_t)co * sizeof(float));
      dsrc = dyp;
      dstride = cob;
    }
    for (int k0 = 0; k0 < KP; k0 += KB) {
      int ko[KB];
      for (int j = 0; j < KB; j++) ko[j] = k0 + j < K ? koff[k0 + j] : 0;  // padded taps read a valid 0-weight slot
      for (int cb = 0; cb < cob; cb += VW) {
        vf acc[KB] = {};
        for (int oy = 0; oy < oh; oy++) {
          const float* xr = xp + (size_t)oy * sh * rowf;
          const float* d = dsrc + (size_t)oy * ow * dstride + cb;
          for (int ox = 0; ox < ow; ox++, d += dstride) {
            const float* xq = xr + (size_t)ox * sw * ci;
            const vf dv = load(d);
            for (int j = 0; j < KB; j++) acc[j] += dv * xq[ko[j]];
          }
        }
        for (int j = 0; j < KB; j++) {
          float* a = acc_all + (size_t)(k0 + j) * cob + cb;
          store(a, load(a) + acc[j]);
        }
      }
    }
  }
  for (int k = 0; k < K; k++)
    for (int c = 0; c < co; c++) dw[(size_t)k * co + c] = acc_all[(size_t)k * cob + c];
}

// ---------------------------------------------------------------------------------------------------
// MaxPoolGrad for the 2x2 stride-2 pool without padding (geom: n, h, w, C, oh, ow), branch-free over
// contiguous vectors (branchy per-channel code mispredicts on real data and ran ~20x slower than its
// arithmetic). Routing as TensorFlow and the tfjs cpu backend: the first position, in row-major window
// order, holding the window's maximum; a value must beat -inf (so NaN never wins). Per pair of input
// rows, with e the flat index into the row (column X = e / C):
//   1. each input column's winner: the top unless the bottom is strictly greater -> (val, row);
//   2. at every e, column e against column e + C (meaningful where X is even: the window's left column):
//      the right one wins if greater, or if equal with its winner in an earlier row -> a code, -1 for
//      none, else col + 2 * row;
//   3. every e reads its window's code (at e, or at e - C where X is odd) and takes dy if it won.
void max_pool_grad_2x2(const int* geom, const float* x, const float* dy, float* dx) {
  typedef int vi __attribute__((vector_size(TY_VW * 4)));
  (void)sizeof(vi);
  const int n = geom[0], h = geom[1], w = geom[2], C = geom[3], oh = geom[4], ow = geom[5];
  const int W = w * C, span = 2 * ow * C, SP = (span + VW - 1) / VW * VW;
  if (h != 2 * oh || w != 2 * ow) std::memset(dx, 0, (size_t)n * h * W * sizeof(float));
  const int L = SP + C + VW;
  float* buf = scratch((size_t)L * 9, 2);
  float* t0 = buf;
  float* t1 = t0 + L;
  float* cval = t1 + L;
  float* crow = cval + L;
  float* codeb = crow + L;  // C leading entries of -1, then the codes
  float* code = codeb + C;
  float* odd = codeb + L;
  float* gexp = odd + L;
  float* o0 = gexp + L;
  float* o1 = o0 + L;
  const float ninf = -__builtin_inff();
  for (int e = 0; e < L; e++) {
    t0[e] = t1[e] = cval[e] = ninf;
    crow[e] = gexp[e] = 0.f;
    codeb[e] = -1.f;
    odd[e] = (float)((e / C) & 1);
  }
  const vf vninf = vf{} + ninf, one = vf{} + 1.f, zero = vf{}, two = vf{} + 2.f, minus1 = vf{} - 1.f;
  for (int b = 0; b < n; b++) {
    for (int oy = 0; oy < oh; oy++) {
      const float* r0 = x + ((size_t)b * h + 2 * oy) * W;
      const float* g = dy + ((size_t)b * oh + oy) * ow * C;
      float* d0 = dx + ((size_t)b * h + 2 * oy) * W;
      std::memcpy(t0, r0, (size_t)span * sizeof(float));
      std::memcpy(t1, r0 + W, (size_t)span * sizeof(float));
      for (int ox = 0; ox < ow; ox++) {
        std::memcpy(gexp + (size_t)2 * ox * C, g + (size_t)ox * C, (size_t)C * sizeof(float));
        std::memcpy(gexp + (size_t)(2 * ox + 1) * C, g + (size_t)ox * C, (size_t)C * sizeof(float));
      }
      for (int e = 0; e < SP; e += VW) {
        const vf t = load(t0 + e), u = load(t1 + e);
        const vf tv = t > vninf ? t : vninf;  // NaN -> -inf
        const auto bot = u > tv;
        store(cval + e, bot ? u : tv);
        store(crow + e, bot ? one : zero);
      }
      for (int e = 0; e < SP; e += VW) {
        const vf v0 = load(cval + e), v1 = load(cval + e + C), q0 = load(crow + e), q1 = load(crow + e + C);
        const auto right = (v1 > v0) | ((v1 == v0) & (q0 > q1));
        const vf best = right ? v1 : v0;
        const vf col = right ? one : zero;
        const vf row = right ? q1 : q0;
        store(code + e, best > vninf ? col + two * row : minus1);
      }
      for (int e = 0; e < SP; e += VW) {
        const vf o = load(odd + e);
        const vf k = o != zero ? load(codeb + e) : load(code + e);
        const vf gv = load(gexp + e);
        store(o0 + e, k == o ? gv : zero);
        store(o1 + e, k == o + two ? gv : zero);
      }
      std::memcpy(d0, o0, (size_t)span * sizeof(float));
      std::memcpy(d0 + W, o1, (size_t)span * sizeof(float));
    }
  }
}

}  // namespace TY_NS
