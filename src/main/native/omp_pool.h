// libtorch's own OpenMP threads, for int8_gemm.h's products: GOMP_parallel and the omp_*
// queries of the libgomp that libtorch_cpu.so links (slm_kernels.cpp's load_omp finds them through libtorch's
// handle), so no second thread pool competes for the cores and the products follow the engine's intra-op
// thread count.
#pragma once

#include <cstdint>

namespace slm_kernels {

struct Omp {
    void (*parallel)(void (*)(void*), void*, unsigned, unsigned) = nullptr;
    void (*barrier)() = nullptr;
    int (*thread_num)() = nullptr;
    int (*num_threads)() = nullptr;
    int (*max_threads)() = nullptr;
};
inline Omp omp;  // null entries: every product runs on the calling thread

// fn(data) on every thread of the pool when the product (macs multiply-adds) pays for waking them (~2 us),
// else part(g, 0, 1) on the calling thread
template <typename G>
inline void run_parallel(void (*fn)(void*), void* data, int64_t macs, void (*part)(const G&, int, int), const G& g) {
    int threads = omp.parallel ? omp.max_threads() : 1;
    if (threads > 1 && macs >= (int64_t(1) << 16)) omp.parallel(fn, data, threads, 0);
    else part(g, 0, 1);
}

}  // namespace slm_kernels
