package io.slmserve.engine;

import ai.djl.engine.Engine;
import ai.djl.util.cuda.CudaUtils;
import io.quarkus.runtime.StartupEvent;
import io.slmserve.config.ServerConfig;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * Starts libtorch before any model loads and says what it found: engine version, device, CUDA and driver
 * versions, and the attention kernels to expect. With slm.engine.require-gpu=true and no GPU, startup fails
 * (the process exits non-zero) rather than silently serving from CPU.
 */
@ApplicationScoped
public class EngineStartup {

    private static final Logger LOG = Logger.getLogger(EngineStartup.class);

    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event, ServerConfig config) {
        ServerConfig.Engine settings = config.engine();
        DjlRuntime.configure(settings);
        CoreShare.configure(settings.soloIntraOpThreads());
        CoreShare.configureMinTokens(settings.soloMinTokens());
        LibtorchPreload.await();
        Engine engine = Engine.getEngine("PyTorch");
        int gpus = engine.getGpuCount();
        DevicePlacement.Placement placement = DevicePlacement.resolve(settings.device(), gpus, settings.requireGpu());
        String dtype = DevicePlacement.dtype(settings.dtype());
        LOG.infof("engine PyTorch %s; default device %s, dtype %s; GPUs visible: %d", engine.getVersion(),
                placement.device(), dtype, gpus);
        if (gpus > 0) {
            LOG.infof("CUDA %s, driver %s", CudaUtils.getCudaVersionString(), driverVersion());
        }
        if (placement.fallbackReason() != null) {
            LOG.warn(placement.fallbackReason());
        }
        LOG.info(placement.device().isGpu()
                ? "attention: SDPA flash kernel for unmasked fp16/bf16 calls, memory-efficient kernel for padded batches"
                : "attention: SDPA flash-for-cpu kernel for unmasked calls, math/efficient kernels for padded batches");
    }

    private static String driverVersion() {
        Path version = Path.of("/proc/driver/nvidia/version");
        try {
            return Files.isReadable(version) ? Files.readAllLines(version).get(0).trim() : "unknown";
        } catch (IOException | IndexOutOfBoundsException e) {
            return "unknown";
        }
    }
}
