// The int8 product of slm::int8_linear (linear_ops.h): y = x W^T for int8 weights W [N, K] with a float scale
// per output channel, x rounded per row to 7 bits (u = rint(x / max|x| * 63) + 64, 1..127, as QLinear has
// always rounded; slmtorch/qlinear.py), int32 sums, float32 out.
// Why our own and not FBGEMM's (quantized::linear_with_input_q_dq_qweight_dq_output_fp32): at one to a few
// rows FBGEMM streams the weights at about half the machine's read bandwidth and adds packing and dispatch
// around each call; a one-row decode step is these products, so their speed is the step's
// (bench/generation/README.md, "Own int8 GEMM").
// The output tiles are split among libtorch's own OpenMP threads (omp_pool.h).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <vector>

#include "omp_pool.h"
#include "prologue.h"
#include "row_math.h"
#include "tiles.h"

namespace slm_kernels {

constexpr float ACT_LEVELS = 63.0f;  // a row divided by its max |x| is rounded to multiples of 1/63
constexpr int32_t ACT_ZERO = 64;     // and shifted to 1..127: 7 bits, so u8 x s8 pair sums fit int16
constexpr int64_t OWN_ROWS = 8;      // up to this many rows, each thread rounds them into its own buffer

// One call's operands. y[r, o] = s_r / 63 * ws[o] * (sum_k u[r, k] w[o, k] - 64 wsum[o]) + bias[o] + res[r, o].
struct Int8Gemm {
    const float* x;        // [m, k] rows (2k with gate 1 or 2), row r at x + r * x_row (unit stride within a row)
    int64_t x_row;
    Prologue pro;          // what each row passes before it is rounded (the layer's op before the product)
    const int8_t* w;       // [n, k] in tiles of 32 (tiles.h)
    const float* ws;       // [n] the weight's per-channel scale
    const int32_t* wsum;   // [n] sum over k of w[o, k]
    const float* bias;     // [n] or null
    const float* res;      // [m, n] or null: added to y (the residual a layer adds)
    float* y;              // [m, n]
    int64_t m, n, k;
    uint8_t* u;            // [m, Kp] scratch: the rounded rows (more than OWN_ROWS rows; else unused)
    float* s;              // [m] scratch: each row's max |x| (likewise)
};

// u = rint(x / max|x| * 63) + 64; returns max|x| (row_math.h's max_abs)
__attribute__((target_clones("arch=x86-64-v3", "default")))
inline float round_row(const float* x, uint8_t* u, int64_t k) {
    float m = max_abs(x, k);
#pragma omp simd
    for (int64_t i = 0; i < k; i++) u[i] = (uint8_t)((int32_t)__builtin_rintf(x[i] / m * ACT_LEVELS) + ACT_ZERO);
    return m;
}

inline void store(const Int8Gemm& g, int64_t r, int64_t o, int32_t sum) {
    if (o >= g.n) return;  // a padding row
    float v = (float)(sum - ACT_ZERO * g.wsum[o]) * (g.ws[o] * (1.0f / ACT_LEVELS)) * g.s[r];
    if (g.bias) v += g.bias[o];
    if (g.res) v += g.res[r * g.n + o];
    g.y[r * g.n + o] = v;
}

__attribute__((target("avx2"))) inline __m256i mac(__m256i acc, __m256i a, const int8_t* b, __m256i ones) {
    __m256i w = _mm256_loadu_si256((const __m256i*)b);
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(a, w), ones));
}

// the four lane sums of c0..c3, in order
__attribute__((target("avx2"))) inline __m128i sum4(__m256i c0, __m256i c1, __m256i c2, __m256i c3) {
    __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(c0, c1), _mm256_hadd_epi32(c2, c3));
    return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

// store() for the four outputs o..o+3 of row r at once (a tile wholly inside n); scale: ws[o..o+3] / 63,
// zero: 64 wsum[o..o+3]
__attribute__((target("avx2"))) inline void store4(const Int8Gemm& g, int64_t r, int64_t o, __m128i sum,
                                                   __m128 scale, __m128i zero) {
    __m128 v = _mm_mul_ps(_mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(sum, zero)), scale), _mm_set1_ps(g.s[r]));
    if (g.bias) v = _mm_add_ps(v, _mm_loadu_ps(g.bias + o));
    if (g.res) v = _mm_add_ps(v, _mm_loadu_ps(g.res + r * g.n + o));
    _mm_storeu_ps(g.y + r * g.n + o, v);
}

__attribute__((target("avx2"))) inline void store4_any(const Int8Gemm& g, int64_t r, int64_t o, __m128i sum,
                                                       __m128 scale, __m128i zero) {
    if (o + 4 <= g.n) {
        store4(g, r, o, sum, scale, zero);
        return;
    }
    alignas(16) int32_t t[4];
    _mm_store_si128((__m128i*)t, sum);
    for (int j = 0; j < 4; j++) store(g, r, o + j, t[j]);
}

// rows [r0, r1) by output tiles [t0, t1): 2 rows by 4 outputs at a time, 32 products per instruction pair
__attribute__((target("avx2"))) inline void tiles_avx2(const Int8Gemm& g, int64_t kp, int64_t r0, int64_t r1,
                                                       int64_t t0, int64_t t1) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t t = t0; t < t1; t++) {
        const int8_t* wt = g.w + t * kp * 4;
        int64_t o = t * 4, r = r0;
        __m128 scale = _mm_setzero_ps();
        __m128i zero = _mm_setzero_si128();
        if (o + 4 <= g.n) {
            scale = _mm_mul_ps(_mm_loadu_ps(g.ws + o), _mm_set1_ps(1.0f / ACT_LEVELS));
            zero = _mm_mullo_epi32(_mm_loadu_si128((const __m128i*)(g.wsum + o)), _mm_set1_epi32(ACT_ZERO));
        }
        for (; r + 2 <= r1; r += 2) {
            const uint8_t* a0 = g.u + r * kp;
            const uint8_t* a1 = a0 + kp;
            __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00;
            __m256i c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            const int8_t* p = wt;
            for (int64_t i = 0; i < kp; i += 32, p += 128) {
                prefetch_ahead(p);
                __m256i x0 = _mm256_loadu_si256((const __m256i*)(a0 + i));
                __m256i x1 = _mm256_loadu_si256((const __m256i*)(a1 + i));
                c00 = mac(c00, x0, p, ones);
                c10 = mac(c10, x1, p, ones);
                c01 = mac(c01, x0, p + 32, ones);
                c11 = mac(c11, x1, p + 32, ones);
                c02 = mac(c02, x0, p + 64, ones);
                c12 = mac(c12, x1, p + 64, ones);
                c03 = mac(c03, x0, p + 96, ones);
                c13 = mac(c13, x1, p + 96, ones);
            }
            store4_any(g, r, o, sum4(c00, c01, c02, c03), scale, zero);
            store4_any(g, r + 1, o, sum4(c10, c11, c12, c13), scale, zero);
        }
        if (r < r1) {  // the last odd row (a decode step's only one)
            const uint8_t* a0 = g.u + r * kp;
            __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
            const int8_t* p = wt;
            for (int64_t i = 0; i < kp; i += 32, p += 128) {
                prefetch_ahead(p);
                __m256i x0 = _mm256_loadu_si256((const __m256i*)(a0 + i));
                c0 = mac(c0, x0, p, ones);
                c1 = mac(c1, x0, p + 32, ones);
                c2 = mac(c2, x0, p + 64, ones);
                c3 = mac(c3, x0, p + 96, ones);
            }
            store4_any(g, r, o, sum4(c0, c1, c2, c3), scale, zero);
        }
    }
}

// the same sums one product at a time, for CPUs without AVX2
inline void tiles_scalar(const Int8Gemm& g, int64_t kp, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
    for (int64_t o = t0 * 4; o < t1 * 4; o++) {
        for (int64_t r = r0; r < r1; r++) {
            int32_t sum = 0;
            for (int64_t i = 0; i < kp; i++) sum += (int32_t)g.u[r * kp + i] * (int32_t)g.w[tile_at<32>(o, i, kp)];
            store(g, r, o, sum);
        }
    }
}

// One thread's share: its rows rounded, then (after a barrier) its outputs for all rows, in row chunks that stay
// in the cache while the thread's weights pass.
inline void int8_gemm_part(const Int8Gemm& g, int t, int nt) {
    const int64_t kp = (g.k + 31) / 32 * 32;
    // a few rows: each thread rounds all of them into its own buffer, so the threads never wait for each other
    // (and the op allocates nothing per call); more: each rounds its share into the shared one, then all wait at
    // a barrier
    const bool own = g.m <= OWN_ROWS;
    thread_local std::vector<uint8_t> mine;
    thread_local std::vector<float> mine_s;
    Int8Gemm h = g;
    if (own) {
        if ((int64_t)mine.size() < g.m * kp) mine.resize(g.m * kp);
        if ((int64_t)mine_s.size() < g.m) mine_s.resize(g.m);
        h.u = mine.data();
        h.s = mine_s.data();
    }
    int64_t r0 = own ? 0 : g.m * t / nt, r1 = own ? g.m : g.m * (t + 1) / nt;
    thread_local std::vector<float> row;
    if (g.pro.any() && (int64_t)row.size() < g.k) row.resize(g.k);
    for (int64_t r = r0; r < r1; r++) {
        const float* x = g.x + r * g.x_row;
        if (g.pro.any()) g.pro.apply(x, row.data(), g.k);
        uint8_t* u = h.u + r * kp;
        h.s[r] = round_row(g.pro.any() ? row.data() : x, u, g.k);
        for (int64_t i = g.k; i < kp; i++) u[i] = 0;  // against zero weights
    }
    if (nt > 1 && !own) omp.barrier();
    static const bool avx2 = __builtin_cpu_supports("avx2");
    int64_t tiles = (g.n + 3) / 4;
    int64_t t0 = tiles * t / nt, t1 = tiles * (t + 1) / nt;
    const int64_t chunk = 32;
    for (int64_t r = 0; r < g.m; r += chunk) {
        int64_t r1 = r + chunk < g.m ? r + chunk : g.m;
        if (avx2) tiles_avx2(h, kp, r, r1, t0, t1);
        else tiles_scalar(h, kp, r, r1, t0, t1);
    }
}

inline void int8_gemm_thread(void* p) {
    int8_gemm_part(*static_cast<const Int8Gemm*>(p), omp.thread_num(), omp.num_threads());
}

inline void int8_gemm(const Int8Gemm& g) {
    run_parallel(int8_gemm_thread, (void*)&g, g.m * g.n * g.k, int8_gemm_part, g);
}

}  // namespace slm_kernels
