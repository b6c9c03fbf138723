/* Memory read bandwidth for the decode floors of bench/generation (weight bytes per token / bandwidth).
 *
 *   gcc -O3 -march=native -fopenmp bench/generation/bandwidth.c -o bandwidth && ./bandwidth [MiB] [repeats]
 *
 * Sums a float array far larger than the caches (default 1 GiB) with OpenMP threads, each thread its own
 * contiguous chunk, vectorised by the compiler (`parallel for simd` lets it reorder the float sum into
 * several AVX-512 / AVX2 accumulators; a plain reduction stays one scalar dependency chain, about 4x slower),
 * as a decode step streams its weights. Prints one JSON line per page size and thread count from 1 to
 * omp_get_max_threads(): the best of `repeats` passes in GB/s (1e9 bytes), after one untimed pass that
 * faults the pages in. The sum is printed so the compiler cannot drop the loop.
 *
 * Two arrays: one on 4 KiB pages (MADV_NOHUGEPAGE) and one on 2 MiB transparent huge pages (MADV_HUGEPAGE, as the
 * service puts a decoder's weights: slm.engine.huge-pages). With 4 KiB pages the stream takes a TLB miss per page and
 * the prefetchers stop at each page boundary; the floors use the faster of the two (floors.read_bandwidth). */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static double read_sum(const float *a, size_t n, int threads, float *sink) {
    float total = 0;
    double t0 = omp_get_wtime();
#pragma omp parallel for simd num_threads(threads) reduction(+ : total) schedule(static)
    for (size_t i = 0; i < n; i++) total += a[i];
    double seconds = omp_get_wtime() - t0;
    *sink += total;
    return seconds;
}

static void measure(size_t mib, int repeats, int huge) {
    size_t n = mib * 1024 * 1024 / sizeof(float);
    size_t bytes = (n * sizeof(float) + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
    float *a = aligned_alloc(2u << 20, bytes);
    if (!a) { perror("alloc"); exit(1); }
    if (madvise(a, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0) perror("madvise");
    int max_threads = omp_get_max_threads();
#pragma omp parallel for num_threads(max_threads) schedule(static)
    for (size_t i = 0; i < n; i++) a[i] = (float)(i & 1023) * 1e-3f;
    float sink = 0;
    for (int t = 1; t <= max_threads; t++) {
        read_sum(a, n, t, &sink);  /* warm-up pass */
        double best = 1e30;
        for (int r = 0; r < repeats; r++) {
            double s = read_sum(a, n, t, &sink);
            if (s < best) best = s;
        }
        printf("{\"threads\": %d, \"pages\": \"%s\", \"gb_per_s\": %.2f, \"mib\": %zu, \"repeats\": %d, "
               "\"sink\": %g}\n", t, huge ? "2M" : "4k", n * sizeof(float) / best / 1e9, mib, repeats,
               (double)sink);
    }
    free(a);
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
    int repeats = argc > 2 ? atoi(argv[2]) : 8;
    measure(mib, repeats, 0);
    measure(mib, repeats, 1);
    return 0;
}
