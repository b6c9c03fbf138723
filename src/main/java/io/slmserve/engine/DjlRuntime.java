package io.slmserve.engine;

import ai.djl.pytorch.jni.JniUtils;
import io.slmserve.config.ServerConfig;
import org.jboss.logging.Logger;

/**
 * Process-wide DJL settings, applied once before the PyTorch engine starts: offline mode (nothing is
 * downloaded at run time), libtorch's inter-op pool size, which is fixed at engine start, and whether
 * TorchScript's graph executor optimizes; then the per-thread settings each session applies on its thread.
 */
final class DjlRuntime {

    private static final Logger LOG = Logger.getLogger(DjlRuntime.class);
    /** DJL's switch for TorchScript's graph executor optimizer, which DJL applies on each predictor call. */
    static final String GRAPH_OPTIMIZER = "ai.djl.pytorch.graph_optimizer";
    private static boolean configured;
    private static volatile boolean graphOptimizer;

    private DjlRuntime() {
    }

    static synchronized void configure(ServerConfig.Engine settings) {
        if (configured) {
            return;
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(settings.interOpThreads()));
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(settings.intraOpThreads()));
        graphOptimizer = settings.graphOptimizer();
        System.setProperty(GRAPH_OPTIMIZER, Boolean.toString(graphOptimizer));
        configured = true;
        LOG.infof("DJL offline; libtorch inter-op threads %d, intra-op threads per worker %d; graph optimizer %s",
                settings.interOpThreads(), settings.intraOpThreads(), graphOptimizer ? "on" : "off");
    }

    /**
     * Applies this thread's libtorch settings (both are per thread): its intra-op threads, and the graph executor
     * optimizer. With the optimizer on, the second call of each TorchScript method re-optimizes its whole graph,
     * 0.1-0.8 s of CPU per decoder and most of its load, yet on CPU it fuses nothing: steps ran as fast without it
     * (docs/startup.md). Calls through {@code IValueUtils.runMethod} skip DJL's per-call setting, hence this one.
     */
    static void onSessionThread(int intraOpThreads) {
        setIntraOpThreads(intraOpThreads);
        JniUtils.setGraphExecutorOptimize(graphOptimizer);
    }

    /**
     * Sets this thread's libtorch intra-op threads for good. libtorch gives a thread its count lazily, at the
     * thread's first parallel op, from whatever value any thread set last (at::init_num_threads), overwriting a
     * count set on it before; reading the count first runs that initialisation now.
     */
    static void setIntraOpThreads(int threads) {
        JniUtils.getNumThreads();
        JniUtils.setNumThreads(threads);
    }
}
