package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * libtorch gives a thread its intra-op count at the thread's first parallel op (or first read of the count), from
 * the value any thread set last. A count set on a worker before that is overwritten as soon as another thread
 * sets a different one in between: the decode worker then ran narrower than its {@link CoreShare} believed.
 * {@link DjlRuntime#setIntraOpThreads} runs that initialisation first, so the worker's count holds. Real libtorch;
 * each step on its own thread of a fresh pair, in a fixed order.
 */
class IntraOpThreadsTest {

    private static int processValue;

    @BeforeAll
    static void engine() throws Exception {
        Engine.getEngine("PyTorch");
        processValue = onFreshThread(JniUtils::getNumThreads);
    }

    @AfterAll
    static void restore() throws Exception {
        onFreshThread(() -> {
            JniUtils.setNumThreads(processValue);
            return 0;
        });
    }

    @Test
    void aWorkersCountHoldsWhenAnotherThreadSetsItsOwnBeforeTheWorkersFirstOp() throws Exception {
        assertEquals(2, countAfterAnotherThreadSetsOne(DjlRuntime::setIntraOpThreads));
    }

    /** The libtorch behaviour the method works around: should it ever change, the workaround can go. */
    @Test
    void aPlainSetOnTheWorkerIsOverwrittenByItsFirstOp() throws Exception {
        assertEquals(1, countAfterAnotherThreadSetsOne(JniUtils::setNumThreads));
    }

    /** Worker: set 2 with {@code setter}; another thread: set 1; worker: read its count. */
    private static int countAfterAnotherThreadSetsOne(IntConsumer setter) throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            worker.submit(() -> setter.accept(2)).get();
            other.submit(() -> JniUtils.setNumThreads(1)).get();
            return worker.submit(JniUtils::getNumThreads).get();
        } finally {
            worker.shutdown();
            other.shutdown();
        }
    }

    private static int onFreshThread(Callable<Integer> work) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            return thread.submit(work).get();
        } finally {
            thread.shutdown();
        }
    }
}
