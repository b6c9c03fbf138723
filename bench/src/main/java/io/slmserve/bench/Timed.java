package io.slmserve.bench;

import java.util.concurrent.Callable;

/** Runs an in-process step (one batch) for a warm-up period, then for a timed window, and counts sentences. */
final class Timed {

    record Rate(double sentencesPerSecond, long sentences, double seconds, double cores, double machineCores) {
    }

    /** A window holds at least this many steps (batches), however slow they are. */
    static final int MIN_STEPS = 3;

    private Timed() {
    }

    /** {@code step} embeds one batch and returns how many sentences it embedded. */
    static Rate run(double warmupSeconds, double windowSeconds, Callable<Integer> step) throws Exception {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do {
            step.call();
        } while (System.nanoTime() < warmEnd);
        CpuMeter cpu = new CpuMeter(-1);
        cpu.start();
        long start = System.nanoTime();
        long end = start + (long) (windowSeconds * 1e9);
        long sentences = 0;
        long steps = 0;
        long now;
        do {
            sentences += step.call();
            steps++;
            now = System.nanoTime();
        } while (now < end || steps < MIN_STEPS);
        cpu.stop();
        double seconds = (now - start) / 1e9;
        return new Rate(sentences / seconds, sentences, seconds, cpu.selfCores, cpu.machineCores);
    }
}
