// The 16-bit-weight product of slm::half_linear (linear_ops.h): y = p(x) W^T for bf16 or fp16 weights W [N, K],
// widened to float32 in registers (bf16: a 16-bit shift; fp16: F16C's vcvtph2ps), float32 products and sums.
// Why our own: these AVX2 cores (Zen 3) have no AVX512-BF16, so libtorch's bf16 GEMM runs a slow fallback (a
// one-row product at 8.7 GB/s, 16 rows 3.7x slower than float32); FBGEMM's fp16-weight GEMM (slmtorch/
// fp16weights.py) reads half the bytes but takes no prologue, bias-and-residual epilogue or bf16 (bench/generation/
// README.md, "bf16 and fp16 weights in our own kernel"). Here a step's linear layer is one op, as with int8_linear,
// reading half of float32's bytes as one sequential stream per thread.
// The output tiles are split among libtorch's own OpenMP threads (omp_pool.h), as int8_gemm.h does.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "omp_pool.h"
#include "prologue.h"
#include "tiles.h"

namespace slm_kernels {

constexpr int64_t HALF_OWN_ROWS = 8;  // up to this many rows, each thread runs the prologue into its own buffer

// One call's operands. y[r, o] = sum_k p(x)[r, k] w[o, k] + bias[o] + res[r, o].
struct HalfGemm {
    const float* x;    // [m, k] rows (2k with gate 1 or 2), row r at x + r * x_row (unit stride within a row)
    int64_t x_row;
    Prologue pro;      // the layer's op before the product
    const uint16_t* w;  // [n, k] bf16 or fp16 bits in tiles of 16 (tiles.h)
    bool bf16;
    const float* bias;  // [n] or null
    const float* res;   // [m, n] or null
    float* y;           // [m, n]
    int64_t m, n, k;
    float* xs;          // [m, Kp] scratch: the rows after the prologue (more than HALF_OWN_ROWS rows; else unused)
};

// one weight as float32, for the scalar path
inline float widen1(uint16_t h, bool bf16) {
    if (bf16) return __builtin_bit_cast(float, (uint32_t)h << 16);
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, f = h & 0x3ff;
    if (e == 0x1f) return __builtin_bit_cast(float, sign | 0x7f800000u | (f << 13));  // inf, nan
    if (e == 0) return (sign ? -1.0f : 1.0f) * (float)f * (1.0f / 16777216.0f);         // subnormal: f 2^-24
    return __builtin_bit_cast(float, sign | ((e + 112) << 23) | (f << 13));
}

// eight weights as float32
template <bool BF16>
__attribute__((target("avx2,fma,f16c"))) inline __m256 widen8(const uint16_t* p) {
    __m128i h = _mm_loadu_si128((const __m128i*)p);
    if constexpr (BF16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    else return _mm256_cvtph_ps(h);
}

// the four lane sums of c0..c3, in order
__attribute__((target("avx2"))) inline __m128 hsum4(__m256 c0, __m256 c1, __m256 c2, __m256 c3) {
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(c0, c1), _mm256_hadd_ps(c2, c3));
    return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

__attribute__((target("avx2"))) inline void half_store4(const HalfGemm& g, int64_t r, int64_t o, __m128 v) {
    if (o + 4 <= g.n) {
        if (g.bias) v = _mm_add_ps(v, _mm_loadu_ps(g.bias + o));
        if (g.res) v = _mm_add_ps(v, _mm_loadu_ps(g.res + r * g.n + o));
        _mm_storeu_ps(g.y + r * g.n + o, v);
        return;
    }
    alignas(16) float t[4];
    _mm_store_ps(t, v);
    for (int64_t j = 0; j < 4 && o + j < g.n; j++) {  // the last tile's real outputs
        float s = t[j];
        if (g.bias) s += g.bias[o + j];
        if (g.res) s += g.res[r * g.n + o + j];
        g.y[r * g.n + o + j] = s;
    }
}

// rows [r0, r1) (at a + r * a_row) by output tiles [t0, t1): 2 rows by 4 outputs at a time, each 16 weights
// widened once for both rows
template <bool BF16>
__attribute__((target("avx2,fma,f16c"))) void half_tiles_avx2(const HalfGemm& g, const float* a, int64_t a_row,
                                                               int64_t kp, int64_t r0, int64_t r1, int64_t t0,
                                                               int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
        const uint16_t* wt = g.w + t * kp * 4;
        int64_t o = t * 4, r = r0;
        for (; r + 2 <= r1; r += 2) {
            const float* a0 = a + r * a_row;
            const float* a1 = a0 + a_row;
            __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c03 = c00;
            __m256 c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            const uint16_t* p = wt;
            for (int64_t i = 0; i < kp; i += 16, p += 64) {
                prefetch_ahead(p);
                for (int64_t h = 0; h < 16; h += 8) {  // the 16-value pieces' two halves
                    __m256 x0 = _mm256_loadu_ps(a0 + i + h), x1 = _mm256_loadu_ps(a1 + i + h);
                    __m256 w0 = widen8<BF16>(p + h), w1 = widen8<BF16>(p + 16 + h);
                    __m256 w2 = widen8<BF16>(p + 32 + h), w3 = widen8<BF16>(p + 48 + h);
                    c00 = _mm256_fmadd_ps(x0, w0, c00);
                    c10 = _mm256_fmadd_ps(x1, w0, c10);
                    c01 = _mm256_fmadd_ps(x0, w1, c01);
                    c11 = _mm256_fmadd_ps(x1, w1, c11);
                    c02 = _mm256_fmadd_ps(x0, w2, c02);
                    c12 = _mm256_fmadd_ps(x1, w2, c12);
                    c03 = _mm256_fmadd_ps(x0, w3, c03);
                    c13 = _mm256_fmadd_ps(x1, w3, c13);
                }
            }
            half_store4(g, r, o, hsum4(c00, c01, c02, c03));
            half_store4(g, r + 1, o, hsum4(c10, c11, c12, c13));
        }
        if (r < r1) {  // the last odd row (a decode step's only one)
            const float* a0 = a + r * a_row;
            __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
            const uint16_t* p = wt;
            for (int64_t i = 0; i < kp; i += 16, p += 64) {
                prefetch_ahead(p);
                for (int64_t h = 0; h < 16; h += 8) {
                    __m256 x0 = _mm256_loadu_ps(a0 + i + h);
                    c0 = _mm256_fmadd_ps(x0, widen8<BF16>(p + h), c0);
                    c1 = _mm256_fmadd_ps(x0, widen8<BF16>(p + 16 + h), c1);
                    c2 = _mm256_fmadd_ps(x0, widen8<BF16>(p + 32 + h), c2);
                    c3 = _mm256_fmadd_ps(x0, widen8<BF16>(p + 48 + h), c3);
                }
            }
            half_store4(g, r, o, hsum4(c0, c1, c2, c3));
        }
    }
}

// the same sums one product at a time, for CPUs without AVX2, FMA and F16C
inline void half_tiles_scalar(const HalfGemm& g, const float* a, int64_t a_row, int64_t kp, int64_t r0, int64_t r1,
                              int64_t t0, int64_t t1) {
    for (int64_t o = t0 * 4; o < t1 * 4 && o < g.n; o++) {
        for (int64_t r = r0; r < r1; r++) {
            float s = 0.0f;
            for (int64_t i = 0; i < kp; i++) s += a[r * a_row + i] * widen1(g.w[tile_at<16>(o, i, kp)], g.bf16);
            if (g.bias) s += g.bias[o];
            if (g.res) s += g.res[r * g.n + o];
            g.y[r * g.n + o] = s;
        }
    }
}

// One thread's share: the rows through the prologue (a few rows: all of them into the thread's own buffer, so the
// threads never wait for each other; more: its share into the shared one, then a barrier), then its output tiles
// for all rows, in row chunks that stay in the cache while the thread's weights pass.
inline void half_gemm_part(const HalfGemm& g, int t, int nt) {
    const int64_t kp = (g.k + 15) / 16 * 16;
    const float* a = g.x;
    int64_t a_row = g.x_row;
    if (g.pro.any() || kp != g.k) {  // rows zero-padded to kp (the padding meets zero weights)
        const bool own = g.m <= HALF_OWN_ROWS;
        thread_local std::vector<float> mine;
        float* buf = g.xs;
        if (own) {
            if ((int64_t)mine.size() < g.m * kp) mine.resize(g.m * kp);
            buf = mine.data();
        }
        int64_t r0 = own ? 0 : g.m * t / nt, r1 = own ? g.m : g.m * (t + 1) / nt;
        for (int64_t r = r0; r < r1; r++) {
            float* row = buf + r * kp;
            if (g.pro.any()) g.pro.apply(g.x + r * g.x_row, row, g.k);
            else std::memcpy(row, g.x + r * g.x_row, sizeof(float) * g.k);
            for (int64_t i = g.k; i < kp; i++) row[i] = 0.0f;
        }
        if (nt > 1 && !own) omp.barrier();
        a = buf;
        a_row = kp;
    }
    static const bool avx2 =
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    int64_t tiles = (g.n + 3) / 4;
    int64_t t0 = tiles * t / nt, t1 = tiles * (t + 1) / nt;
    const int64_t chunk = 32;
    for (int64_t r = 0; r < g.m; r += chunk) {
        int64_t r1 = r + chunk < g.m ? r + chunk : g.m;
        if (!avx2) half_tiles_scalar(g, a, a_row, kp, r, r1, t0, t1);
        else if (g.bf16) half_tiles_avx2<true>(g, a, a_row, kp, r, r1, t0, t1);
        else half_tiles_avx2<false>(g, a, a_row, kp, r, r1, t0, t1);
    }
}

inline void half_gemm_thread(void* p) {
    half_gemm_part(*static_cast<const HalfGemm*>(p), omp.thread_num(), omp.num_threads());
}

inline void half_gemm(const HalfGemm& g) {
    run_parallel(half_gemm_thread, (void*)&g, g.m * g.n * g.k, half_gemm_part, g);
}

}  // namespace slm_kernels
