// Fused CPU kernels for the one-token decode step of the Llama-family and GPT-2 archives (ops slm::rms_norm,
// slm::silu_mul, slm::attend_decode, slm::row_scale, slm::int8_linear), registered with libtorch through its
// stable C ABI (the aoti_torch_* functions that libtorch 2.7's libtorch_cpu.so exports), so no libtorch headers
// are needed to build it. Why: a one-row decode step was ~100 TorchScript ops a layer at ~3.7 us each, 2x the
// GEMMs' own time on SmolLM2-135M int8; these ops leave 9 (bench/generation/README.md, "Fused decode kernels",
// "Own int8 GEMM"). stable_abi.h reaches libtorch; row_math.h holds the vectorised row loops; linear_ops.h the
// products' ops (int8_gemm.h: int8 weights; half_gemm.h: bf16 or fp16 weights; tiles.h: their shared weight
// layout; prologue.h: the op folded before either).
// The Python side (models/tools/slmtorch/kernels.py) defines the same schemas with reference implementations
// written out, which torch 1.13 runs when the archive is made.
//
// Single-threaded but for the products (linear_ops.h) and attend_decode's heads: each other op's work is a few
// microseconds at one row. Those run on libtorch's own OpenMP threads (omp_pool.h), never a second pool.
#include <cstring>
#include <vector>

#include "linear_ops.h"
#include "row_math.h"
#include "stable_abi.h"

namespace slm_kernels {
namespace {

// rms_norm(Tensor x, Tensor weight, float eps, float offset) -> Tensor: x / sqrt(mean(x^2) + eps) * (weight +
// offset) over the last dimension, float32.
void rms_norm_kernel(StableIValue* stack, uint64_t, uint64_t) {
    Arg x(stack[0]), w(stack[1]);
    float eps = (float)from_stack<double>(stack[2]);
    float offset = (float)from_stack<double>(stack[3]);
    x.expect(api.dtype_float32(), "slm::rms_norm: x must be a float32 CPU tensor");
    w.expect(api.dtype_float32(), "slm::rms_norm: weight must be a float32 CPU tensor");
    SLM_CHECK(x.contiguous() && w.contiguous() && x.dim >= 1 && x.dim <= 8,
              "slm::rms_norm: x (1 to 8 dimensions) and weight must be contiguous");
    int64_t c = x.sizes[x.dim - 1];
    SLM_CHECK(w.numel() == c, "slm::rms_norm: weight size differs from x's last dimension");
    AtenTensorHandle out = new_float(x.dim, x.sizes);
    void* yp = nullptr;
    api.get_data_ptr(out, &yp);
    rms_rows(x.data<float>(), w.data<float>(), static_cast<float*>(yp), c ? x.numel() / c : 0, c, eps, offset);
    stack[0] = to_stack(out);
}

// silu_mul(Tensor gate_up, bool gelu) -> Tensor: act(g) * u for [..., 2F] = [g | u], act SiLU or tanh-GELU.
void silu_mul_kernel(StableIValue* stack, uint64_t, uint64_t) {
    Arg gu(stack[0]);
    bool gelu = from_stack<bool>(stack[1]);
    gu.expect(api.dtype_float32(), "slm::silu_mul: gate_up must be a float32 CPU tensor");
    SLM_CHECK(gu.contiguous() && gu.dim >= 1 && gu.sizes[gu.dim - 1] % 2 == 0,
              "slm::silu_mul: gate_up must be contiguous with an even last dimension");
    int64_t f = gu.sizes[gu.dim - 1] / 2;
    int64_t sizes[8];
    SLM_CHECK(gu.dim <= 8, "slm::silu_mul: too many dimensions");
    for (int64_t i = 0; i < gu.dim; i++) sizes[i] = gu.sizes[i];
    sizes[gu.dim - 1] = f;
    AtenTensorHandle out = new_float(gu.dim, sizes);
    void* yp = nullptr;
    api.get_data_ptr(out, &yp);
    glu_rows(gu.data<float>(), static_cast<float*>(yp), f ? gu.numel() / (2 * f) : 0, f, gelu);
    stack[0] = to_stack(out);
}

// row_scale(Tensor x) -> (Tensor, Tensor): x [..., C] (any strides) divided by each row's max |x| (at least
// 1e-30), contiguous, and those maxima [..., 1]: QLinear's activation scaling (slmtorch/qlinear.py) in one op
// instead of three.
void row_scale_kernel(StableIValue* stack, uint64_t, uint64_t) {
    Arg x(stack[0]);
    x.expect(api.dtype_float32(), "slm::row_scale: x must be a float32 CPU tensor");
    SLM_CHECK(x.dim >= 1 && x.dim <= 8, "slm::row_scale: x must have 1 to 8 dimensions");
    int64_t c = x.sizes[x.dim - 1], step = x.strides[x.dim - 1];
    int64_t sizes[8];
    for (int64_t i = 0; i < x.dim; i++) sizes[i] = x.sizes[i];
    sizes[x.dim - 1] = 1;
    AtenTensorHandle xs = new_float(x.dim, x.sizes);
    AtenTensorHandle s = new_float(x.dim, sizes);
    void *xp = nullptr, *sp = nullptr;
    api.get_data_ptr(xs, &xp);
    api.get_data_ptr(s, &sp);
    const float* in = x.data<float>();
    std::vector<float> row(step == 1 ? 0 : c);
    x.row_starts([&](int64_t r, int64_t start) {
        const float* src = in + start;
        if (step != 1) {
            for (int64_t i = 0; i < c; i++) row[i] = src[i * step];
            src = row.data();
        }
        absmax_row(src, static_cast<float*>(xp) + r * c, static_cast<float*>(sp) + r, c);
    });
    stack[0] = to_stack(xs);
    stack[1] = to_stack(s);
}

// attend_decode's heads, once the new keys and values are in the cache: the (row, query head) pairs split among
// libtorch's OpenMP threads (omp_pool.h) when the sums pay for waking them (16 rows, or long prefixes); each pair
// writes its own slice of the output.
struct Attend {
    const float* in;
    const float *cos, *sin;
    const float *kc, *vc;
    const int64_t *ks, *vs;  // the caches' strides
    const int64_t *slots, *pos;
    float* o;
    int64_t rows, nh, nkv, d, r;
    float scale;
};

void attend_part(const Attend& a, int t, int nt) {
    thread_local std::vector<float> q, scores;
    q.resize(a.d);
    int64_t pairs = a.rows * a.nh, width = (a.nh + 2 * a.nkv) * a.d, group = a.nh / a.nkv;
    for (int64_t u = pairs * t / nt; u < pairs * (t + 1) / nt; u++) {
        int64_t b = u / a.nh, h = u % a.nh, slot = a.slots[b], p = a.pos[b];
        const float* row = a.in + b * width;
        if (a.r) rotate(q.data(), row + h * a.d, a.cos + b * a.r, a.sin + b * a.r, a.r, a.d);
        else std::memcpy(q.data(), row + h * a.d, sizeof(float) * a.d);
        int64_t g = h / group;
        const float* kbase = a.kc + slot * a.ks[0] + g * a.ks[1];
        const float* vbase = a.vc + slot * a.vs[0] + g * a.vs[1];
        if ((int64_t)scores.size() < p + 1) scores.resize(p + 1);
        float mx = -INFINITY;
        for (int64_t j = 0; j <= p; j++) {
            scores[j] = dot(q.data(), kbase + j * a.ks[2], a.d) * a.scale;
            mx = scores[j] > mx ? scores[j] : mx;
        }
        float inv = 1.0f / exp_sum(scores.data(), p + 1, mx);
        float* oh = a.o + (b * a.nh + h) * a.d;
        for (int64_t j = 0; j <= p; j++) axpy(oh, scores[j] * inv, vbase + j * a.vs[2], a.d);
    }
}

void attend_thread(void* p) {
    attend_part(*static_cast<const Attend*>(p), omp.thread_num(), omp.num_threads());
}

// attend_decode(Tensor qkv, Tensor cos, Tensor sin, Tensor(a!) cache_k, Tensor(b!) cache_v, Tensor slots,
//               Tensor positions, int n_head, int n_kv, float scale) -> Tensor
// One new token per row b: qkv [B, ..., (H + 2 KVH) D] is the stacked projection's output (q heads, k heads,
// v heads); q and k are rotated by the row's rotary tables cos/sin [B, ..., R] (R = 0: none; R < D: the first
// R features), k and v are written into the layer's cache [S, KVH, M, D] at (slots[b], positions[b]), and
// query head h attends to keys 0..positions[b] of KV head h / (H / KVH), softmax(q k * scale) v in float32.
// Out: [B, 1, H D], the heads side by side (the o_proj input).
void attend_decode_kernel(StableIValue* stack, uint64_t, uint64_t) {
    Arg qkv(stack[0]), cos(stack[1]), sin(stack[2]), ck(stack[3]), cv(stack[4]), slots(stack[5]), pos(stack[6]);
    int64_t nh = from_stack<int64_t>(stack[7]);
    int64_t nkv = from_stack<int64_t>(stack[8]);
    float scale = (float)from_stack<double>(stack[9]);
    int32_t f32 = api.dtype_float32(), i64 = api.dtype_int64();
    qkv.expect(f32, "slm::attend_decode: qkv must be a float32 CPU tensor");
    ck.expect(f32, "slm::attend_decode: the key cache must be float32");
    cv.expect(f32, "slm::attend_decode: the value cache must be float32");
    slots.expect(i64, "slm::attend_decode: slots must be int64");
    pos.expect(i64, "slm::attend_decode: positions must be int64");
    SLM_CHECK(qkv.contiguous() && slots.contiguous() && pos.contiguous(),
              "slm::attend_decode: qkv, slots and positions must be contiguous");
    SLM_CHECK(ck.dim == 4 && cv.dim == 4 && ck.strides[3] == 1 && cv.strides[3] == 1,
              "slm::attend_decode: caches must be [S, KVH, M, D] with unit stride in D");
    int64_t b_rows = slots.numel();
    int64_t d = ck.sizes[3], m = ck.sizes[2], n_slots = ck.sizes[0];
    SLM_CHECK(nkv > 0 && nh % nkv == 0 && ck.sizes[1] == nkv && cv.sizes[1] == nkv && cv.sizes[3] == d,
              "slm::attend_decode: head counts differ from the cache's");
    SLM_CHECK(pos.numel() == b_rows && qkv.numel() == b_rows * (nh + 2 * nkv) * d,
              "slm::attend_decode: qkv, slots and positions disagree on rows or width");
    int64_t r = cos.numel() == 0 ? 0 : cos.sizes[cos.dim - 1];
    if (r > 0) {
        cos.expect(f32, "slm::attend_decode: cos must be float32");
        sin.expect(f32, "slm::attend_decode: sin must be float32");
        SLM_CHECK(cos.contiguous() && sin.contiguous() && cos.numel() == b_rows * r && sin.numel() == b_rows * r &&
                      r <= d && r % 2 == 0,
                  "slm::attend_decode: cos and sin must be [B, ..., R] with an even R up to the head size");
    }
    const float* in = qkv.data<float>();
    const float* cosp = r ? cos.data<float>() : nullptr;
    const float* sinp = r ? sin.data<float>() : nullptr;
    float* kc = ck.data<float>();
    float* vc = cv.data<float>();
    const int64_t* sl = slots.data<int64_t>();
    const int64_t* ps = pos.data<int64_t>();
    for (int64_t b = 0; b < b_rows; b++) {
        SLM_CHECK(sl[b] >= 0 && sl[b] < n_slots && ps[b] >= 0 && ps[b] < m,
                  "slm::attend_decode: slot or position out of range");
    }
    int64_t sizes[3] = {b_rows, 1, nh * d};
    AtenTensorHandle out = new_float(3, sizes);
    void* op = nullptr;
    api.get_data_ptr(out, &op);
    float* o = static_cast<float*>(op);
    std::memset(o, 0, sizeof(float) * b_rows * nh * d);
    int64_t width = (nh + 2 * nkv) * d;
    for (int64_t b = 0; b < b_rows; b++) {  // the new keys and values first: every head of the row reads them
        int64_t slot = sl[b], p = ps[b];
        const float* row = in + b * width;
        for (int64_t h = 0; h < nkv; h++) {
            float* kdst = kc + slot * ck.strides[0] + h * ck.strides[1] + p * ck.strides[2];
            float* vdst = vc + slot * cv.strides[0] + h * cv.strides[1] + p * cv.strides[2];
            const float* ksrc = row + (nh + h) * d;
            if (r) rotate(kdst, ksrc, cosp + b * r, sinp + b * r, r, d);
            else std::memcpy(kdst, ksrc, sizeof(float) * d);
            std::memcpy(vdst, row + (nh + nkv + h) * d, sizeof(float) * d);
        }
    }
    Attend job{in, cosp, sinp, kc, vc, ck.strides, cv.strides, sl, ps, o, b_rows, nh, nkv, d, r, scale};
    int64_t macs = 0;
    for (int64_t b = 0; b < b_rows; b++) macs += 2 * nh * (ps[b] + 1) * d;
    run_parallel(attend_thread, &job, macs, attend_part, job);
    stack[0] = to_stack(out);
}

// ---- registration --------------------------------------------------------------------------------------

// the schemas, exactly as models/tools/slmtorch/kernels.py defines them for torch 1.13
const char* const SCHEMAS[] = {
    "rms_norm(Tensor x, Tensor weight, float eps, float offset) -> Tensor",
    "silu_mul(Tensor gate_up, bool gelu) -> Tensor",
    "row_scale(Tensor x) -> (Tensor, Tensor)",
    "attend_decode(Tensor qkv, Tensor cos, Tensor sin, Tensor(a!) cache_k, Tensor(b!) cache_v, Tensor slots, "
    "Tensor positions, int n_head, int n_kv, float scale) -> Tensor",
    "int8_linear(Tensor x, Tensor weight, Tensor scale, Tensor weight_sum, Tensor bias, Tensor residual, "
    "Tensor norm, float eps, float norm_offset, int gate) -> Tensor",
    "half_linear(Tensor x, Tensor weight, int n, Tensor bias, Tensor residual, Tensor norm, float eps, "
    "float norm_offset, int gate) -> Tensor",
};

// libtorch's OpenMP runtime (the libgomp that libtorch_cpu.so links), found through libtorch's handle; without
// it int8_linear runs on the calling thread
void load_omp() {
    void* lib = dlopen("libtorch_cpu.so", RTLD_LAZY | RTLD_NOLOAD);
    if (lib == nullptr) return;
    Omp found;
    found.parallel = reinterpret_cast<decltype(found.parallel)>(dlsym(lib, "GOMP_parallel"));
    found.barrier = reinterpret_cast<decltype(found.barrier)>(dlsym(lib, "GOMP_barrier"));
    found.thread_num = reinterpret_cast<decltype(found.thread_num)>(dlsym(lib, "omp_get_thread_num"));
    found.num_threads = reinterpret_cast<decltype(found.num_threads)>(dlsym(lib, "omp_get_num_threads"));
    found.max_threads = reinterpret_cast<decltype(found.max_threads)>(dlsym(lib, "omp_get_max_threads"));
    if (found.parallel && found.barrier && found.thread_num && found.num_threads && found.max_threads) omp = found;
}

__attribute__((constructor)) void register_ops() {
    if (!load_api()) return;
    load_omp();
    // kept for the life of the process: deleting a library handle unregisters its ops
    static TorchLibraryHandle defs = nullptr, impls = nullptr;
    if (api.init_def("slm", __FILE__, __LINE__, &defs) != 0) {
        std::fprintf(stderr, "slm_kernels: the slm namespace is taken; the slm:: ops are not registered\n");
        return;
    }
    for (const char* schema : SCHEMAS) api.def(defs, schema);
    api.init_impl("slm", "CPU", __FILE__, __LINE__, &impls);
    api.impl(impls, "rms_norm", rms_norm_kernel);
    api.impl(impls, "silu_mul", silu_mul_kernel);
    api.impl(impls, "row_scale", row_scale_kernel);
    api.impl(impls, "attend_decode", attend_decode_kernel);
    api.impl(impls, "int8_linear", int8_linear_kernel);
    api.impl(impls, "half_linear", half_linear_kernel);
}

}  // namespace
}  // namespace slm_kernels
