// The row loops of the fused kernels (slm_kernels.cpp). Each hot loop carries an AVX2/FMA clone
// (target_clones, chosen at load by the CPU) beside the baseline one, so the library runs on any x86-64.
#pragma once

#include <cmath>
#include <cstdint>

namespace slm_kernels {

// ---- numerics ------------------------------------------------------------------------------------------

// e^x for float32, as a macro so that each target clone compiles it for its own instruction set (an inline
// function of the default target stops GCC vectorising the clones' loops): 2^(x log2 e) split into an integer
// power (ln 2 split in two, Cody and Waite) and a degree-6 polynomial on [-ln2/2, ln2/2]; checked
// against exp over [-87, 88] in steps of 0.001: relative error at most 2.5e-7.
#define SLM_EXP(x_in, out)                                                                                   \
    do {                                                                                                     \
        float x_ = (x_in) < -87.0f ? -87.0f : (x_in);                                                        \
        x_ = x_ > 88.0f ? 88.0f : x_;                                                                        \
        float n_ = __builtin_rintf(x_ * 1.44269504088896341f);                                               \
        float f_ = (x_ - n_ * 0.693145751953125f) - n_ * 1.428606765330187045e-06f; /* ln 2 in two parts */   \
        float p_ = 1.0f + f_ * (1.0f + f_ * (0.5f + f_ * (1.0f / 6 + f_ * (1.0f / 24 + f_ * (1.0f / 120 +   \
                   f_ * (1.0f / 720))))));                                                                   \
        (out) = p_ * __builtin_bit_cast(float, (int32_t)(n_ + 127.0f) << 23);                               \
    } while (0)

__attribute__((target_clones("arch=x86-64-v3", "default")))
void rms_rows(const float* x, const float* w, float* y, int64_t rows, int64_t c, float eps, float offset) {
    for (int64_t r = 0; r < rows; r++) {
        const float* xr = x + r * c;
        float* yr = y + r * c;
        float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
        for (int64_t i = 0; i < c; i++) ss += xr[i] * xr[i];
        float inv = 1.0f / std::sqrt(ss / (float)c + eps);
#pragma omp simd
        for (int64_t i = 0; i < c; i++) yr[i] = xr[i] * inv * (w[i] + offset);
    }
}

// tanh-GELU of g: 0.5 g (1 + tanh(a)), a = sqrt(2 / pi) (g + 0.044715 g^3), tanh(a) = 1 - 2 / (e^(2a) + 1); a macro
// for the same reason as SLM_EXP (glu_rows' gate and gelu_rows share it)
#define SLM_TANH_GELU(g_in, out)                                                                             \
    do {                                                                                                     \
        float g_ = (g_in);                                                                                   \
        float a_ = 0.7978845608028654f * (g_ + 0.044715f * g_ * g_ * g_);                                     \
        float e_;                                                                                            \
        SLM_EXP(2.0f * a_, e_);                                                                              \
        (out) = 0.5f * g_ * (1.0f + (1.0f - 2.0f / (e_ + 1.0f)));                                            \
    } while (0)

__attribute__((target_clones("arch=x86-64-v3", "default")))
void glu_rows(const float* gu, float* y, int64_t rows, int64_t f, bool gelu) {
    for (int64_t r = 0; r < rows; r++) {
        const float* g = gu + r * 2 * f;
        const float* u = g + f;
        float* yr = y + r * f;
        if (gelu) {
#pragma omp simd
            for (int64_t i = 0; i < f; i++) {
                float t;
                SLM_TANH_GELU(g[i], t);
                yr[i] = t * u[i];
            }
        } else {
#pragma omp simd
            for (int64_t i = 0; i < f; i++) {
                float e;
                SLM_EXP(-g[i], e);
                yr[i] = g[i] / (1.0f + e) * u[i];
            }
        }
    }
}

// LayerNorm of rows as F.layer_norm: (x - mean) / sqrt(biased variance + eps) * w + b; two passes over the row
// (the mean, then the squared deviations from it)
__attribute__((target_clones("arch=x86-64-v3", "default")))
void ln_rows(const float* x, const float* w, const float* b, float* y, int64_t rows, int64_t c, float eps) {
    for (int64_t r = 0; r < rows; r++) {
        const float* xr = x + r * c;
        float* yr = y + r * c;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int64_t i = 0; i < c; i++) sum += xr[i];
        float mean = sum / (float)c, ss = 0.0f;
#pragma omp simd reduction(+ : ss)
        for (int64_t i = 0; i < c; i++) ss += (xr[i] - mean) * (xr[i] - mean);
        float inv = 1.0f / std::sqrt(ss / (float)c + eps);
#pragma omp simd
        for (int64_t i = 0; i < c; i++) yr[i] = (xr[i] - mean) * inv * w[i] + b[i];
    }
}

// tanh-GELU (GPT-2's gelu_new): glu_rows' gate without the up half
__attribute__((target_clones("arch=x86-64-v3", "default")))
void gelu_rows(const float* x, float* y, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) SLM_TANH_GELU(x[i], y[i]);
}

// a row's max |x|, at least 1e-30 (a row of zeros is divided by that, not by 0): slm::row_scale's and
// slm::int8_linear's per-row scale
__attribute__((target_clones("arch=x86-64-v3", "default")))
float max_abs(const float* x, int64_t c) {
    float m = 0.0f;
#pragma omp simd reduction(max : m)
    for (int64_t i = 0; i < c; i++) {
        float a = x[i] < 0.0f ? -x[i] : x[i];
        m = a > m ? a : m;
    }
    return m < 1e-30f ? 1e-30f : m;
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
void absmax_row(const float* x, float* xs, float* s, int64_t c) {
    float m = max_abs(x, c);
    *s = m;
#pragma omp simd
    for (int64_t i = 0; i < c; i++) xs[i] = x[i] / m;
}

// out[i] = x[i] cos[i] + swap(x)[i] sin[i] over the first r features (sin's first half is negative, as
// rope.cos_sin makes it), copied beyond r
inline void rotate(float* out, const float* x, const float* cos, const float* sin, int64_t r, int64_t d) {
    int64_t h = r / 2;
    for (int64_t i = 0; i < h; i++) out[i] = x[i] * cos[i] + x[i + h] * sin[i];
    for (int64_t i = h; i < r; i++) out[i] = x[i] * cos[i] + x[i - h] * sin[i];
    for (int64_t i = r; i < d; i++) out[i] = x[i];
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
float dot(const float* a, const float* b, int64_t d) {
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < d; i++) s += a[i] * b[i];
    return s;
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
void axpy(float* y, float a, const float* x, int64_t d) {
#pragma omp simd
    for (int64_t i = 0; i < d; i++) y[i] += a * x[i];
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
float exp_sum(float* s, int64_t n, float m) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < n; j++) {
        SLM_EXP(s[j] - m, s[j]);
        sum += s[j];
    }
    return sum;
}

}  // namespace slm_kernels
