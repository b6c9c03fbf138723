package io.slmserve.engine;

import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who uses the cores now: the engine's forward calls running in this process, of every model. An encoder call or
 * a decoder step that runs alone widens its libtorch intra-op threads to the idle cores, so one request (or one
 * model's whole batch) at a time is not held to one core; under load each call keeps its configured threads (one
 * worker per core beats fat workers there). The
 * count is read when a call starts, so a call that began alone keeps its width if another starts meanwhile: the
 * overlap lasts at most one call.
 */
final class CoreShare {

    private static final AtomicInteger RUNNING = new AtomicInteger();
    /** Threads of a call alone; 0 until configured: every core. */
    private static volatile int soloThreads;

    private final int narrow;
    private final int wide;
    /** The intra-op threads last set on this (worker) thread (libtorch's setting is per thread); 0: not yet. */
    private int current;

    /**
     * @param narrow the configured intra-op threads of one worker
     * @param wide   threads for a call that runs alone (at least {@code narrow})
     */
    CoreShare(int narrow, int wide) {
        this.narrow = narrow;
        this.wide = Math.max(narrow, wide);
    }

    /** slm.engine.solo-intra-op-threads: 0 is every core, 1 turns widening off. */
    static void configure(int threads) {
        soloThreads = threads;
    }

    /** A worker's share: its configured threads, widened for a call alone. */
    static CoreShare forWorker(int intraOpThreads) {
        int solo = soloThreads;
        return new CoreShare(intraOpThreads, solo > 0 ? solo : Runtime.getRuntime().availableProcessors());
    }

    /** Counts a call in and sets this thread's width for it; pair with {@link #exit()}. */
    void enter() {
        int threads = RUNNING.incrementAndGet() == 1 ? wide : narrow;
        if (threads != current) {
            JniUtils.setNumThreads(threads);
            current = threads;
        }
    }

    static void exit() {
        RUNNING.decrementAndGet();
    }

    /** Counts a call that keeps its own threads (a sequence-to-sequence step), so calls beside it stay narrow. */
    static void enterFixed() {
        RUNNING.incrementAndGet();
    }

    /** The threads the last call on this worker used (tests). */
    int current() {
        return current;
    }
}
