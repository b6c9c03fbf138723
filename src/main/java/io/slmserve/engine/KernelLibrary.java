package io.slmserve.engine;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.jboss.logging.Logger;

/**
 * Loads the fused decode kernels (src/main/native/slm_kernels.cpp, built by Maven into the jar as
 * {@code native/libslm_kernels.so}) into the process once libtorch is up: the library registers the
 * {@code slm::} ops with libtorch as it loads, and archives made by the current converter call them
 * (models/tools/slmtorch/kernels.py). An archive that calls them cannot load without it, so a missing or
 * unloadable library is logged here and the model's load then fails with libtorch's "unknown op" reason.
 */
final class KernelLibrary {

    private static final Logger LOG = Logger.getLogger(KernelLibrary.class);
    static final String RESOURCE = "/native/libslm_kernels.so";

    private static boolean attempted;

    private KernelLibrary() {
    }

    /** Starts libtorch if needed, then loads the library (once per process; later calls return at once). */
    static synchronized void ensureLoaded() {
        if (attempted) {
            return;
        }
        attempted = true;
        Engine.getEngine("PyTorch"); // the library binds to the loaded libtorch_cpu.so
        try (InputStream in = KernelLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                LOG.warnf("%s is not on the class path (built without g++?): archives that call slm:: ops will not"
                        + " load", RESOURCE);
                return;
            }
            Path file = Files.createTempFile("libslm_kernels", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toAbsolutePath().toString());
            LOG.debugf("fused decode kernels loaded from %s", RESOURCE);
        } catch (IOException | LinkageError e) {
            LOG.warnf("the fused decode kernels did not load (%s): archives that call slm:: ops will not load",
                    e.toString());
        }
    }
}
