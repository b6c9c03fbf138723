package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The intra-op threads libtorch itself reports on the calling thread, as CoreShare sets them around calls. */
class CoreShareTest {

    @BeforeAll
    static void engine() {
        Engine.getEngine("PyTorch");
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
    void oneSoloThreadNeverWidens() {
        CoreShare share = new CoreShare(1, 1);
        share.enter();
        assertEquals(1, JniUtils.getNumThreads());
        CoreShare.exit();
    }
}
