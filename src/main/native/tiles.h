// The weight tiles int8_linear (int8_gemm.h) and half_linear (half_gemm.h) share: W [N, K] padded with zeros to
// [Np, Kp] (Np a multiple of 4, Kp of the piece P) and stored as [Np / 4, Kp / P, 4, P], the pieces of four output
// rows side by side (32 int8 or 16 16-bit values: 32 bytes each), so a tile of four outputs reads one sequential
// stream. Four rows read as four separate streams reached 60% of the read bandwidth here; one stream reaches 95%
// (bench/generation/README.md, "Own int8 GEMM").
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace slm_kernels {

// the element of W[o, i] in the tiles of pieces of P values
template <int64_t P>
inline int64_t tile_at(int64_t o, int64_t i, int64_t kp) {
    return (o / 4) * kp * 4 + (i / P) * 4 * P + (o % 4) * P + i % P;
}

// The weights 1 KB ahead of the piece being read: a thread's tiles are one contiguous run, and a product of a
// few hundred KB ends before the hardware prefetcher has ramped up (8% off a SmolLM2-135M step's products here).
__attribute__((target("avx2"))) inline void prefetch_ahead(const void* p) {
    _mm_prefetch((const char*)p + 1024, _MM_HINT_T0);
    _mm_prefetch((const char*)p + 1024 + 64, _MM_HINT_T0);
}

}  // namespace slm_kernels
