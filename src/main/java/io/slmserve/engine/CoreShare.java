package io.slmserve.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Who uses the cores now: the engine's forward calls running in this process, of every model. An encoder call or
 * a decoder step that runs alone widens its libtorch intra-op threads to the idle cores, so one request (or one
 * model's whole batch) at a time is not held to one core; under load each call keeps its configured threads (one
 * worker per core beats fat workers there). The
 * count is read when a call starts, so a call that began alone keeps its width if another starts meanwhile: the
 * overlap lasts at most one call.
 *
 * <p>Only one thread of the process ever widens (the first worker that runs a call alone). libgomp keeps a team
 * of threads for every thread that ran a wider call, and once its teams hold more threads than there are cores it
 * all but stops spinning at barriers: every parallel region of every later call then sleeps and wakes its threads
 * (what cost the decode worker 20-35% per step, see GenerativeWarmUp). A worker that loses the claim runs narrow.
 */
final class CoreShare {

    private static final AtomicInteger RUNNING = new AtomicInteger();
    /** The one thread allowed to widen; null until a call alone claims it, replaced once its thread ended. */
    private static final AtomicReference<Thread> WIDE_THREAD = new AtomicReference<>();
    /** Threads of a call alone; 0 until configured: every core. */
    private static volatile int soloThreads;
    /** Tokens (padding included) an encoder call needs before it widens; 0 until configured: any. */
    private static volatile int soloMinTokens;

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

    /** slm.engine.solo-min-tokens: the smallest encoder call (tokens, padding included) that widens. */
    static void configureMinTokens(int tokens) {
        soloMinTokens = tokens;
    }

    /** A worker's share: its configured threads, widened for a call alone. */
    static CoreShare forWorker(int intraOpThreads) {
        int solo = soloThreads;
        return new CoreShare(intraOpThreads, solo > 0 ? solo : Runtime.getRuntime().availableProcessors());
    }

    /** A share that never widens (a load's warm-up call on a loader thread, which must not claim the wide slot). */
    static CoreShare fixed(int intraOpThreads) {
        return new CoreShare(intraOpThreads, intraOpThreads);
    }

    /** Counts a call in and sets this thread's width for it; pair with {@link #exit()}. */
    void enter() {
        enter(true);
    }

    /**
     * An encoder call of {@code tokens} tokens (padding included): it widens only from slm.engine.solo-min-tokens
     * on. Below that a lone call lost by widening in the server (all-MiniLM-L6-v2, 12-token texts one at a time:
     * narrow served 1.21x the requests per second with half the p99, on 1.1 instead of 1.6 cores): OpenMP's
     * barriers and the team's spinning, beside the event loop and the client on the same cores, cost more than
     * the second core saves. 128 tokens gain about 10% from it (bench/README.md).
     */
    void enterEncoder(long tokens) {
        enter(tokens >= soloMinTokens);
    }

    private void enter(boolean worthWidening) {
        int threads = RUNNING.incrementAndGet() == 1 && wide > narrow && worthWidening && claimWide() ? wide : narrow;
        if (threads != current) {
            DjlRuntime.setIntraOpThreads(threads);
            current = threads;
        }
    }

    /** True on the thread that may widen: this one, or the first to ask (again once the holder ended). */
    private static boolean claimWide() {
        Thread me = Thread.currentThread();
        Thread holder = WIDE_THREAD.get();
        if (holder == me) {
            return true;
        }
        return (holder == null || !holder.isAlive()) && WIDE_THREAD.compareAndSet(holder, me);
    }

    /** Whether the calling thread is the one that widens (its calls alone use every core). */
    boolean holdsWide() {
        return wide > narrow && WIDE_THREAD.get() == Thread.currentThread();
    }

    static void exit() {
        RUNNING.decrementAndGet();
    }

    /** Counts a call that keeps its own threads (a sequence-to-sequence step), so calls beside it stay narrow. */
    static void enterFixed() {
        RUNNING.incrementAndGet();
    }

    /** Frees the wide slot (tests: a Quarkus app of an earlier test class may hold it with a live worker). */
    static void releaseWide() {
        WIDE_THREAD.set(null);
    }

    /** The threads the last call on this worker used (tests). */
    int current() {
        return current;
    }
}
