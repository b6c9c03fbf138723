package io.slmserve.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.slmserve.config.ServerConfig;
import io.slmserve.core.ModelSpec;
import java.util.Locale;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Parses device, dtype and thread settings and decides where a model runs. A GPU that was asked for but is not
 * there falls back to CPU with a warning, unless a GPU is required, in which case loading is refused.
 */
final class DevicePlacement {

    private static final Logger LOG = Logger.getLogger(DevicePlacement.class);

    private static final Map<String, String> DTYPES = Map.of(
            "float32", "float32", "fp32", "float32",
            "float16", "float16", "fp16", "float16", "half", "float16",
            "bfloat16", "bfloat16", "bf16", "bfloat16");

    private DevicePlacement() {
    }

    /** Where a model runs, and a line saying why when it is not where it was asked to be. */
    record Placement(Device device, String fallbackReason) {
    }

    /** Where, in which dtype and with how many libtorch intra-op threads per worker one model runs. */
    record Target(Device device, String dtype, int intraOpThreads) {
    }

    /**
     * The model's option.device / option.dtype / option.intra_op_threads over the server defaults; a fallback
     * to CPU is logged with the model's id, a missing required GPU throws.
     */
    static Target forModel(ModelSpec spec, ServerConfig.Engine settings) {
        String dtype = dtype(spec.option("dtype", settings.dtype()));
        int threads = threads(spec.option("intra_op_threads", Integer.toString(settings.intraOpThreads())));
        Placement placement = resolve(spec.option("device", settings.device()),
                Engine.getEngine("PyTorch").getGpuCount(), settings.requireGpu());
        if (placement.fallbackReason() != null) {
            LOG.warnf("model %s: %s", spec.id(), placement.fallbackReason());
        }
        return new Target(placement.device(), dtype, threads);
    }

    /** A positive thread count (a decoder's single worker may take every core while encoders keep one each). */
    static int threads(String requested) {
        try {
            int threads = Integer.parseInt(requested.trim());
            if (threads >= 1) {
                return threads;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("intra_op_threads must be a positive integer, was '" + requested + "'");
    }

    /** float32, float16 or bfloat16, from any accepted spelling. */
    static String dtype(String requested) {
        String dtype = DTYPES.get(requested.trim().toLowerCase(Locale.ROOT));
        if (dtype == null) {
            throw new IllegalArgumentException("dtype must be one of float32|fp32, float16|fp16, bfloat16|bf16, was '"
                    + requested + "'");
        }
        return dtype;
    }

    /**
     * @param requested {@code cpu}, {@code gpu} (the first GPU) or {@code gpu:N}
     * @param gpuCount  GPUs libtorch sees
     * @param requireGpu refuse rather than fall back
     */
    static Placement resolve(String requested, int gpuCount, boolean requireGpu) {
        String value = requested.trim().toLowerCase(Locale.ROOT);
        if (value.equals("cpu")) {
            return new Placement(Device.cpu(), null);
        }
        int index;
        if (value.equals("gpu") || value.equals("cuda")) {
            index = 0;
        } else if (value.matches("(gpu|cuda):\\d+")) {
            index = Integer.parseInt(value.substring(value.indexOf(':') + 1));
        } else {
            throw new IllegalArgumentException("device must be cpu, gpu or gpu:N, was '" + requested + "'");
        }
        if (index < gpuCount) {
            return new Placement(Device.gpu(index), null);
        }
        String why = "device " + value + " asked for, but libtorch sees " + gpuCount + " GPU(s)";
        if (requireGpu) {
            throw new IllegalStateException(why + " and slm.engine.require-gpu=true");
        }
        return new Placement(Device.cpu(), why + "; running on CPU");
    }
}
