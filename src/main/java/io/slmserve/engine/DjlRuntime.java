package io.slmserve.engine;

import org.jboss.logging.Logger;

/**
 * Process-wide DJL settings, applied once before the PyTorch engine starts: offline mode (nothing is
 * downloaded at run time) and libtorch's inter-op pool size, which is fixed at engine start.
 */
final class DjlRuntime {

    private static final Logger LOG = Logger.getLogger(DjlRuntime.class);
    private static boolean configured;

    private DjlRuntime() {
    }

    static synchronized void configure(int interOpThreads, int intraOpThreads) {
        if (configured) {
            return;
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(interOpThreads));
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOpThreads));
        configured = true;
        LOG.infof("DJL offline; libtorch inter-op threads %d, intra-op threads per worker %d",
                interOpThreads, intraOpThreads);
    }
}
