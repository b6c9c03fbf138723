// slm::int8_linear (int8_gemm.h) and slm::half_linear (half_gemm.h): their argument checks and the rows of x.
// Each computes y = p(x) W^T (+ bias) (+ residual) for x float32 [..., K] (rows of any strides; [..., 2K] with
// gate 1 or 2), where p is the layer's op before the product, folded in (prologue.h): rms_norm(x, norm, eps,
// norm_offset) when norm is [K], layer_norm(x, [K], norm[0], norm[1], eps) when norm is [2, K], silu_mul(x,
// gate == 2) when gate is 1 or 2, tanh-GELU(x) when gate is 3, else none; bias [N] and residual [..., N] float32,
// or empty. Out: [..., N].
#pragma once

#include <string>
#include <vector>

#include "half_gemm.h"
#include "int8_gemm.h"
#include "stable_abi.h"

namespace slm_kernels {

// x, its prologue, bias and residual, checked; rows at x + r * row (a contiguous copy when one stride cannot
// reach them all); allocate() makes the output
struct LinearArgs {
    std::string what;  // the op's name and what it takes: the message of every check here
    int64_t k = 0, m = 0, row = 0;
    const float* x = nullptr;
    const float *bias = nullptr, *res = nullptr;
    Prologue pro;
    std::vector<float> copy;
    AtenTensorHandle out = nullptr;
    float* y = nullptr;

    LinearArgs(const char* name, const Arg& xa, int64_t n, const Arg& b, const Arg& r, const Arg& nw, double e,
               double off, int64_t g)
        : what(std::string(name) + ": x, bias, residual (contiguous) and norm must be float32 CPU tensors of [..., K] "
                                   "(2K with gate 1 or 2), [N], [..., N] and [K] (RMSNorm) or [2, K] (LayerNorm, "
                                   "offset 0); gate 0, 1 (SiLU gate), 2 (GELU gate) or 3 (GELU), not with a norm") {
        const char* op = what.c_str();
        int32_t f32 = api.dtype_float32();
        xa.expect(f32, op);
        SLM_CHECK(xa.dim >= 1 && xa.dim <= 8, op);
        SLM_CHECK(g >= 0 && g <= 3 && !(g > 0 && nw.numel() > 0), op);
        int64_t xk = xa.sizes[xa.dim - 1];
        bool split = g == 1 || g == 2;  // [g | u]
        SLM_CHECK(xk > 0 && (!split || xk % 2 == 0), op);
        pro.gate = (int)g;
        k = split ? xk / 2 : xk;
        m = xa.numel() / xk;
        pro.eps = (float)e;
        pro.offset = (float)off;
        if (nw.numel() > 0) {
            nw.expect(f32, op);
            bool layer_norm = nw.dim == 2 && nw.sizes[0] == 2;  // [weight; bias]
            SLM_CHECK(nw.contiguous() && nw.numel() == (layer_norm ? 2 * k : k) && (!layer_norm || off == 0.0), op);
            pro.norm = nw.data<float>();
            if (layer_norm) pro.norm_bias = pro.norm + k;
        }
        if (b.numel() > 0) {
            b.expect(f32, op);
            SLM_CHECK(b.contiguous() && b.numel() == n, op);
            bias = b.data<float>();
        }
        if (r.numel() > 0) {
            r.expect(f32, op);
            SLM_CHECK(r.contiguous() && r.numel() == m * n, op);
            res = r.data<float>();
        }
        rows(xa, xk);
    }

    // the output [..., n], once every check has passed
    void allocate(const Arg& xa, int64_t n) {
        int64_t sizes[8];
        for (int64_t i = 0; i < xa.dim; i++) sizes[i] = xa.sizes[i];
        sizes[xa.dim - 1] = n;
        out = new_float(xa.dim, sizes);
        void* yp = nullptr;
        api.get_data_ptr(out, &yp);
        y = static_cast<float*>(yp);
    }

    void rows(const Arg& xa, int64_t xk) {
        bool uniform = xa.strides[xa.dim - 1] == 1 || xk == 1;
        row = xk;
        for (int64_t i = xa.dim - 2, expect = -1; uniform && i >= 0; i--) {
            if (xa.sizes[i] == 1) continue;
            if (expect < 0) row = xa.strides[i];
            else uniform = xa.strides[i] == expect;
            expect = xa.strides[i] * xa.sizes[i];
        }
        x = xa.data<float>();
        if (uniform) return;
        copy.resize(m * xk);
        int64_t step = xa.strides[xa.dim - 1];
        xa.row_starts([&](int64_t r, int64_t start) {
            for (int64_t i = 0; i < xk; i++) copy[r * xk + i] = x[start + i * step];
        });
        x = copy.data();
        row = xk;
    }
};

// whether w holds n outputs of kp inputs in tiles.h's layout of pieces of p values: [ceil(n / 4), kp / p, 4, p]
inline bool tiled(const Arg& w, int64_t n, int64_t kp, int64_t p) {
    return w.contiguous() && w.dim == 4 && w.sizes[0] == (n + 3) / 4 && w.sizes[1] * p == kp && w.sizes[2] == 4 &&
           w.sizes[3] == p;
}

// int8_linear(Tensor x, Tensor weight, Tensor scale, Tensor weight_sum, Tensor bias, Tensor residual, Tensor norm,
//             float eps, float norm_offset, int gate) -> Tensor
// W int8 [N, K] in tiles.h's tiles [Np / 4, Kp / 32, 4, 32] with scale [N] (float32) and weight_sum [N]
// (int32, each row's sum); p(x) is rounded per row to 7 bits.
inline void int8_linear_kernel(StableIValue* stack, uint64_t, uint64_t) {
    Arg x(stack[0]), w(stack[1]), ws(stack[2]), wsum(stack[3]), bias(stack[4]), res(stack[5]), norm(stack[6]);
    w.expect(api.dtype_int8(), "slm::int8_linear: weight must be an int8 CPU tensor");
    ws.expect(api.dtype_float32(), "slm::int8_linear: scale must be float32");
    wsum.expect(api.dtype_int32(), "slm::int8_linear: weight_sum must be int32");
    int64_t n = ws.numel();
    LinearArgs a("slm::int8_linear", x, n, bias, res, norm, from_stack<double>(stack[7]), from_stack<double>(stack[8]),
                 from_stack<int64_t>(stack[9]));
    int64_t kp = (a.k + 31) / 32 * 32;
    SLM_CHECK(tiled(w, n, kp, 32) && ws.contiguous() && wsum.contiguous() && wsum.numel() == n,
              "slm::int8_linear: weight must be [ceil(N / 4), ceil(K / 32), 4, 32] for x's K and scale's N, "
              "with weight_sum [N]");
    a.allocate(x, n);
    bool shared = a.m > OWN_ROWS;  // fewer rows: the threads' own buffers (int8_gemm_part)
    std::vector<uint8_t> u(shared ? a.m * kp : 0);
    std::vector<float> s(shared ? a.m : 0);
    Int8Gemm g{a.x, a.row, a.pro, w.data<int8_t>(), ws.data<float>(),
               wsum.data<int32_t>(), a.bias, a.res, a.y, a.m, n, a.k, u.data(), s.data()};
    int8_gemm(g);
    stack[0] = to_stack(a.out);
}

// half_linear(Tensor x, Tensor weight, int n, Tensor bias, Tensor residual, Tensor norm, float eps, float norm_offset,
//             int gate) -> Tensor
// W bf16 or fp16 [n, K] in tiles.h's tiles [Np / 4, Kp / 16, 4, 16]; p(x) stays float32.
inline void half_linear_kernel(StableIValue* stack, uint64_t, uint64_t) {
    Arg x(stack[0]), w(stack[1]), bias(stack[3]), res(stack[4]), norm(stack[5]);
    int64_t n = from_stack<int64_t>(stack[2]);
    int32_t wd = w.cpu_dtype();
    bool bf16 = wd == api.dtype_bfloat16();
    SLM_CHECK(bf16 || wd == api.dtype_float16(), "slm::half_linear: weight must be a bfloat16 or float16 CPU tensor");
    SLM_CHECK(n > 0, "slm::half_linear: n must be positive");
    LinearArgs a("slm::half_linear", x, n, bias, res, norm, from_stack<double>(stack[6]), from_stack<double>(stack[7]),
                 from_stack<int64_t>(stack[8]));
    int64_t kp = (a.k + 15) / 16 * 16;
    SLM_CHECK(tiled(w, n, kp, 16),
              "slm::half_linear: weight must be [ceil(n / 4), ceil(K / 16), 4, 16] for x's K and n");
    a.allocate(x, n);
    bool shared = a.m > HALF_OWN_ROWS && (a.pro.any() || kp != a.k);  // else: x itself or the threads' own rows
    std::vector<float> xs(shared ? a.m * kp : 0);
    HalfGemm g{a.x, a.row, a.pro, w.data<uint16_t>(), bf16, a.bias, a.res, a.y, a.m, n, a.k, xs.data()};
    half_gemm(g);
    stack[0] = to_stack(a.out);
}

}  // namespace slm_kernels
