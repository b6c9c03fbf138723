package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A model load leaves no OpenMP pool on the thread that asked for it (the long-lived loader thread): libgomp keeps
 * a pool for every thread that ran a parallel region wider than one thread, and pools beyond the cores stop its
 * spinning at every team's barriers, the decode worker's included (ShortLivedThread). all-MiniLM-L6-v2 stores its
 * matrices in fp16, so its cast to float32 runs parallel copies. Pool threads are found by name: Linux gives a new
 * thread its creator's name, and the JVM names its threads, so libgomp's workers carry their master's name. Real
 * libtorch; the loader thread runs two intra-op threads, as with slm.engine.intra-op-threads=2.
 */
class LoaderThreadPoolTest {

    private static final Path MINILM = Path.of("models/all-minilm-l6-v2");

    @BeforeAll
    static void engine() {
        Engine.getEngine("PyTorch");
    }

    @Test
    void loadingAndCastingAnFp16ArchiveLeavesNoPoolOnTheCallingThread() throws Exception {
        int namesakes = newThreadsNamedAfter("slm-probe-load", () -> {
            TorchScriptLoader.load(MINILM, "model.pt", "float32", Device.cpu()).close();
            return null;
        });
        assertEquals(0, namesakes, "OpenMP workers left on the loading thread");
    }

    /** The probe sees a pool: the same cast, run on the calling thread itself, leaves one. */
    @Test
    void aWideParallelCopyOnTheCallingThreadLeavesAPoolTheProbeSees() throws Exception {
        int namesakes = newThreadsNamedAfter("slm-probe-copy", () -> {
            try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                manager.ones(new Shape(1 << 22), DataType.FLOAT16).toType(DataType.FLOAT32, true);
            }
            return null;
        });
        assertEquals(1, namesakes, "OpenMP workers left on the copying thread");
    }

    /**
     * Runs {@code work} on a new thread named {@code name} with two intra-op threads and returns how many threads
     * named after it the work added (counted after the width is set: setting it may rebuild libtorch's global
     * pthreadpool, whose workers also take the setter's name).
     */
    private static int newThreadsNamedAfter(String name, Callable<Void> work) throws Exception {
        int[] added = new int[1];
        Exception[] failure = new Exception[1];
        Thread thread = new Thread(() -> {
            try {
                DjlRuntime.setIntraOpThreads(2);
                int before = threadsNamed(name);
                work.call();
                added[0] = threadsNamed(name) - before;
            } catch (Exception e) {
                failure[0] = e;
            }
        }, name);
        thread.start();
        thread.join();
        if (failure[0] != null) {
            throw failure[0];
        }
        return added[0];
    }

    /** Threads of this process whose (15-character) Linux name is {@code name}. */
    private static int threadsNamed(String name) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return (int) tasks.filter(task -> {
                try {
                    return Files.readString(task.resolve("comm")).strip().equals(name);
                } catch (IOException e) {
                    return false; // the thread ended meanwhile
                }
            }).count();
        }
    }
}
