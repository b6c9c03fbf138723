package io.slmserve.engine;

import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;

/**
 * The intra-op threads of one decoder worker's calls, and what its archive knows of them. A step that runs alone
 * in the process widens to the idle cores ({@link CoreShare}), as an encoder call does: a single stream, or one
 * model's whole batch, is not held to one core. Current converters split a one-row product into row blocks that
 * the threads share and that one thread only pays for (models/tools/slmtorch/rowsplit.py), so the archive hears
 * of every change of width. Worker thread only.
 */
final class DecoderThreads {

    private final PtSymbolBlock block;
    private final boolean announces;
    private final CoreShare cores;
    /** The thread count the archive last heard of. */
    private int announced;

    /** Must be called on the worker thread (libtorch thread settings are per thread). */
    DecoderThreads(PtSymbolBlock block, int intraOpThreads) {
        this.block = block;
        this.announces = List.of(JniUtils.getMethodNames(block)).contains("set_intra_op_threads");
        this.cores = CoreShare.forWorker(intraOpThreads);
        announce(intraOpThreads);
    }

    /**
     * Counts a call in, so that calls beside it stay narrow, and sets this thread's width for it: every core when
     * no other forward call runs, else the configured threads. Pair with {@link CoreShare#exit()}.
     */
    void enter() {
        cores.enter();
        if (cores.current() != announced) {
            announce(cores.current());
        }
    }

    /** The threads of the last call (before any: the configured ones). */
    int current() {
        return announced;
    }

    private void announce(int threads) {
        if (announces) {
            try (IValue t = IValue.from((long) threads);
                 IValue none = IValueUtils.runMethod(block, "set_intra_op_threads", t)) {
                assert !none.isTensor(); // the method returns nothing
            }
        }
        announced = threads;
    }
}
