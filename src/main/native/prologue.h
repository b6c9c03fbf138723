// The layer's op before a product, folded into slm::int8_linear and slm::half_linear (linear_ops.h): RMSNorm,
// LayerNorm, a SiLU or GELU gate, or a plain GELU, applied to one row before the product takes it (int8: before
// it is rounded). Why folded: at one row each graph op costs a few microseconds of dispatch, more than the row's
// own arithmetic (bench/generation/README.md, "Fused decode kernels").
#pragma once

#include <cstdint>

#include "row_math.h"

namespace slm_kernels {

struct Prologue {
    const float* norm = nullptr;       // RMSNorm weight [k] (rms_rows with eps and offset), LayerNorm's with
                                       // norm_bias, or null
    const float* norm_bias = nullptr;  // LayerNorm bias [k] (ln_rows with eps), or null: RMSNorm
    float eps = 0.0f, offset = 0.0f;
    int gate = 0;  // 1: SiLU(g) u, 2: tanh-GELU(g) u of the row [g | u] (glu_rows); 3: tanh-GELU(x) (gelu_rows);
                   // 0: none

    bool any() const { return norm != nullptr || gate != 0; }

    // p(x) for one row: k values into out (x holds 2k with gate 1 or 2)
    void apply(const float* x, float* out, int64_t k) const {
        if (norm_bias) ln_rows(x, norm, norm_bias, out, 1, k, eps);
        else if (norm) rms_rows(x, norm, out, 1, k, eps, offset);
        else if (gate == 3) gelu_rows(x, out, k);
        else if (gate) glu_rows(x, out, 1, k, gate == 2);
    }
};

}  // namespace slm_kernels
