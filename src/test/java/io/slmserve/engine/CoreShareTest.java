package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The intra-op threads libtorch itself reports on the calling thread, as CoreShare sets them around calls. */
class CoreShareTest {

    @BeforeAll
    static void engine() {
        Engine.getEngine("PyTorch");
    }

    @BeforeEach
    void freeWideSlot() {
        CoreShare.releaseWide();
    }

    @Test
    void aCallAloneUsesTheWideCountAndACallBesideAnotherTheNarrowOne() {
        CoreShare share = new CoreShare(1, 2);
        share.enter();
        assertEquals(2, JniUtils.getNumThreads());
        CoreShare.exit();

        CoreShare.enterFixed(); // a decoder step (or another worker's call) is running
        share.enter();
        assertEquals(1, JniUtils.getNumThreads());
        CoreShare.exit();
        CoreShare.exit();

        share.enter();
        assertEquals(2, JniUtils.getNumThreads());
        assertEquals(2, share.current());
        CoreShare.exit();
    }

    @Test
    void anEncoderCallAloneWidensOnlyFromTheMinimumTokens() {
        CoreShare.configureMinTokens(64);
        try {
            CoreShare share = new CoreShare(1, 2);
            share.enterEncoder(12); // one short text
            assertEquals(1, JniUtils.getNumThreads());
            CoreShare.exit();
            share.enterEncoder(64);
            assertEquals(2, JniUtils.getNumThreads());
            CoreShare.exit();
            share.enter(); // a decoder step widens at any size
            assertEquals(2, JniUtils.getNumThreads());
            CoreShare.exit();
        } finally {
            CoreShare.configureMinTokens(0);
        }
    }

    @Test
    void onlyOneLiveThreadEverWidens() throws Exception {
        assertEquals(2, aloneOnNewThread()); // claims the wide slot, then ends
        CoreShare share = new CoreShare(1, 2);
        share.enter(); // the holder ended: this thread takes the slot over
        assertEquals(2, JniUtils.getNumThreads());
        CoreShare.exit();
        // another worker alone later stays narrow, so libgomp's teams never outnumber the cores
        assertEquals(1, aloneOnNewThread());
        share.enter();
        assertEquals(2, JniUtils.getNumThreads());
        CoreShare.exit();
    }

    /** The threads a call alone gets on a fresh worker thread. */
    private static int aloneOnNewThread() throws InterruptedException {
        AtomicInteger threads = new AtomicInteger();
        Thread worker = new Thread(() -> {
            CoreShare mine = new CoreShare(1, 2);
            mine.enter();
            threads.set(JniUtils.getNumThreads());
            CoreShare.exit();
        });
        worker.start();
        worker.join();
        return threads.get();
    }

    @Test
    void aWarmUpShareNeverWidens() {
        CoreShare share = CoreShare.fixed(1);
        share.enter();
        assertEquals(1, JniUtils.getNumThreads());
        CoreShare.exit();
    }

    @Test
    void oneSoloThreadNeverWidens() {
        CoreShare share = new CoreShare(1, 1);
        share.enter();
        assertEquals(1, JniUtils.getNumThreads());
        CoreShare.exit();
    }
}
