// libtorch's stable C ABI as the fused kernels use it (slm_kernels.cpp): the handful of aoti_torch_* functions,
// resolved at load from the libtorch_cpu.so already in the process (no libtorch headers or library at build
// time), the boxed-kernel stack's value conversions, and a tensor-argument wrapper. Signatures as libtorch 2.7's
// torch/csrc/inductor/aoti_torch/c/shim.h declares them; the boxed calling convention is the one
// torch/csrc/stable/library.h documents (inputs on the stack, owned by the kernel; outputs written back).
#pragma once

#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace slm_kernels {

typedef uint64_t StableIValue;
typedef struct AtenTensorOpaque* AtenTensorHandle;
typedef struct TorchLibraryOpaque* TorchLibraryHandle;
typedef int32_t AOTITorchError;
typedef void (*BoxedKernel)(StableIValue*, uint64_t, uint64_t);

// the libtorch functions used, resolved from the already loaded libtorch_cpu.so (see load_api)
struct Api {
    AOTITorchError (*get_data_ptr)(AtenTensorHandle, void**);
    AOTITorchError (*get_sizes)(AtenTensorHandle, int64_t**);
    AOTITorchError (*get_strides)(AtenTensorHandle, int64_t**);
    AOTITorchError (*get_dim)(AtenTensorHandle, int64_t*);
    AOTITorchError (*get_dtype)(AtenTensorHandle, int32_t*);
    AOTITorchError (*get_device_type)(AtenTensorHandle, int32_t*);
    AOTITorchError (*empty_strided)(int64_t, const int64_t*, const int64_t*, int32_t, int32_t, int32_t,
                                    AtenTensorHandle*);
    AOTITorchError (*delete_tensor)(AtenTensorHandle);
    void (*check)(bool, const char*, const char*, uint32_t, const char*);
    int32_t (*dtype_float32)();
    int32_t (*dtype_int64)();
    int32_t (*dtype_int32)();
    int32_t (*dtype_int8)();
    int32_t (*dtype_bfloat16)();
    int32_t (*dtype_float16)();
    int32_t (*device_type_cpu)();
    AOTITorchError (*init_def)(const char*, const char*, uint32_t, TorchLibraryHandle*);
    AOTITorchError (*init_impl)(const char*, const char*, const char*, uint32_t, TorchLibraryHandle*);
    AOTITorchError (*def)(TorchLibraryHandle, const char*);
    AOTITorchError (*impl)(TorchLibraryHandle, const char*, BoxedKernel);
};
inline Api api;

// Throws libtorch's c10::Error (the caller sees a normal op failure) when cond is false.
#define SLM_CHECK(cond, msg) api.check((cond), __func__, __FILE__, __LINE__, (msg))

// ---- stack values --------------------------------------------------------------------------------------

template <typename T>
inline T from_stack(StableIValue v) {
    T out;
    std::memcpy(&out, &v, sizeof(T));
    return out;
}

inline StableIValue to_stack(AtenTensorHandle h) {
    StableIValue v = 0;
    std::memcpy(&v, &h, sizeof(h));
    return v;
}

// A tensor argument: the kernel owns the handle it was given and deletes it on return.
struct Arg {
    AtenTensorHandle h;
    int64_t dim = 0;
    int64_t* sizes = nullptr;
    int64_t* strides = nullptr;
    explicit Arg(StableIValue v) : h(from_stack<AtenTensorHandle>(v)) {
        api.get_dim(h, &dim);
        api.get_sizes(h, &sizes);
        api.get_strides(h, &strides);
    }
    ~Arg() { api.delete_tensor(h); }
    Arg(const Arg&) = delete;
    Arg& operator=(const Arg&) = delete;

    int64_t numel() const {
        int64_t n = 1;
        for (int64_t i = 0; i < dim; i++) n *= sizes[i];
        return n;
    }
    bool contiguous() const {
        int64_t expect = 1;
        for (int64_t i = dim - 1; i >= 0; i--) {
            if (sizes[i] != 1 && strides[i] != expect) return false;
            expect *= sizes[i];
        }
        return true;
    }
    // f(r, start) for each row r (the last dimension) in order, start its first element's offset from the
    // leading dimensions' strides
    template <typename F>
    void row_starts(F f) const {
        int64_t rows = sizes[dim - 1] ? numel() / sizes[dim - 1] : 0, index[8] = {0};
        for (int64_t r = 0; r < rows; r++) {
            int64_t start = 0;
            for (int64_t i = 0; i < dim - 1; i++) start += index[i] * strides[i];
            f(r, start);
            for (int64_t i = dim - 2; i >= 0 && ++index[i] == sizes[i]; i--) index[i] = 0;
        }
    }
    template <typename T>
    T* data() const {
        void* p = nullptr;
        api.get_data_ptr(h, &p);
        return static_cast<T*>(p);
    }
    // the dtype (api.dtype_*) of a CPU tensor, -1 for one on another device
    int32_t cpu_dtype() const {
        int32_t d = -1, dev = -1;
        api.get_dtype(h, &d);
        api.get_device_type(h, &dev);
        return dev == api.device_type_cpu() ? d : -1;
    }
    void expect(int32_t dtype, const char* what) const {
        int32_t d = -1, dev = -1;
        api.get_dtype(h, &d);
        api.get_device_type(h, &dev);
        SLM_CHECK(d == dtype && dev == api.device_type_cpu(), what);
    }
};

inline AtenTensorHandle new_float(int64_t ndim, const int64_t* sizes) {
    int64_t strides[8];
    int64_t s = 1;
    for (int64_t i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= sizes[i];
    }
    AtenTensorHandle out = nullptr;
    api.empty_strided(ndim, sizes, strides, api.dtype_float32(), api.device_type_cpu(), 0, &out);
    return out;
}

// ---- resolving the functions ---------------------------------------------------------------------------

template <typename F>
inline bool resolve(void* lib, const char* name, F& slot) {
    void* f = dlsym(lib, name);
    if (f == nullptr) {
        std::fprintf(stderr, "slm_kernels: libtorch_cpu.so has no %s; the slm:: ops are not registered\n", name);
        return false;
    }
    slot = reinterpret_cast<F>(f);
    return true;
}

inline bool load_api() {
    // the libtorch that DJL loaded (by its soname; RTLD_NOLOAD: never a second copy)
    void* lib = dlopen("libtorch_cpu.so", RTLD_LAZY | RTLD_NOLOAD);
    if (lib == nullptr) {
        std::fprintf(stderr, "slm_kernels: load libtorch before this library; the slm:: ops are not registered\n");
        return false;
    }
    return resolve(lib, "aoti_torch_get_data_ptr", api.get_data_ptr) &&
           resolve(lib, "aoti_torch_get_sizes", api.get_sizes) &&
           resolve(lib, "aoti_torch_get_strides", api.get_strides) &&
           resolve(lib, "aoti_torch_get_dim", api.get_dim) && resolve(lib, "aoti_torch_get_dtype", api.get_dtype) &&
           resolve(lib, "aoti_torch_get_device_type", api.get_device_type) &&
           resolve(lib, "aoti_torch_empty_strided", api.empty_strided) &&
           resolve(lib, "aoti_torch_delete_tensor_object", api.delete_tensor) &&
           resolve(lib, "aoti_torch_check", api.check) && resolve(lib, "aoti_torch_dtype_float32", api.dtype_float32) &&
           resolve(lib, "aoti_torch_dtype_int64", api.dtype_int64) &&
           resolve(lib, "aoti_torch_dtype_int32", api.dtype_int32) &&
           resolve(lib, "aoti_torch_dtype_int8", api.dtype_int8) &&
           resolve(lib, "aoti_torch_dtype_bfloat16", api.dtype_bfloat16) &&
           resolve(lib, "aoti_torch_dtype_float16", api.dtype_float16) &&
           resolve(lib, "aoti_torch_device_type_cpu", api.device_type_cpu) &&
           resolve(lib, "aoti_torch_library_init_def", api.init_def) &&
           resolve(lib, "aoti_torch_library_init_impl", api.init_impl) &&
           resolve(lib, "aoti_torch_library_def", api.def) && resolve(lib, "aoti_torch_library_impl", api.impl);
}

}  // namespace slm_kernels
