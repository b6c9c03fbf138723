package io.slmserve.engine;

import ai.djl.pytorch.jni.LibUtils;

/**
 * Loads libtorch's native libraries on a thread of their own from the first line of {@code main}, while Quarkus
 * boots: the 0.5 GB of shared objects then cost the start nothing on the main thread (docs/startup.md). It only
 * loads them: the engine's settings (thread pools) are still applied by {@link EngineStartup}, which waits here
 * first. A failure is left for that engine start to report.
 */
final class LibtorchPreload {

    private static volatile Thread thread;

    private LibtorchPreload() {
    }

    static synchronized void start() {
        if (thread != null) {
            return;
        }
        System.setProperty("ai.djl.offline", "true"); // as DjlRuntime: never a download, not even from here
        Thread loading = new Thread(() -> {
            try {
                LibUtils.loadLibrary();
            } catch (RuntimeException | LinkageError e) {
                // Engine.getEngine loads again and fails with the real message.
            }
        }, "slm-libtorch-preload");
        loading.setDaemon(true);
        loading.start();
        thread = loading;
    }

    /** Returns once a started preload has finished; at once when none was started (tests, dev mode). */
    static void await() {
        Thread loading = thread;
        if (loading == null) {
            return;
        }
        try {
            loading.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
