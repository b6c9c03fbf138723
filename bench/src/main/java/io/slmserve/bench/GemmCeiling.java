package io.slmserve.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The machine's practical fp32 ceiling: a large square matrix product through DJL's PyTorch engine (libtorch's
 * MKL/oneDNN GEMM), the same native library the service runs on. Eager CPU ops are synchronous, so timing the
 * call times the work.
 */
final class GemmCeiling {

    private GemmCeiling() {
    }

    /** Returns GFLOP/s per size n (n x n times n x n, 2n^3 FLOP), best of the timed window. */
    static Map<Integer, Double> measure(int threads, double secondsPerSize, int... sizes) {
        Engine engine = Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
        JniUtils.setNumInteropThreads(1);
        Map<Integer, Double> out = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), engine.getEngineName())) {
            for (int n : sizes) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray a = scope.randomNormal(new Shape(n, n));
                    NDArray b = scope.randomNormal(new Shape(n, n));
                    for (int i = 0; i < 2; i++) {
                        a.matMul(b).close();
                    }
                    double best = 0;
                    long end = System.nanoTime() + (long) (secondsPerSize * 1e9);
                    do {
                        long t0 = System.nanoTime();
                        a.matMul(b).close();
                        double s = (System.nanoTime() - t0) / 1e9;
                        best = Math.max(best, 2.0 * n * n * n / s / 1e9);
                    } while (System.nanoTime() < end);
                    out.put(n, best);
                }
            }
        }
        return out;
    }

    static String describe() {
        return "libtorch " + Engine.getEngine("PyTorch").getVersion() + " via DJL " + Engine.getDjlVersion()
                + ", intra-op threads " + JniUtils.getNumThreads();
    }
}
