package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DevicePlacementTest {

    @Test
    void parsesDevices() {
        assertEquals(Device.cpu(), DevicePlacement.resolve("cpu", 2, false).device());
        assertEquals(Device.gpu(0), DevicePlacement.resolve("gpu", 2, false).device());
        assertEquals(Device.gpu(1), DevicePlacement.resolve("GPU:1", 2, true).device());
        assertNull(DevicePlacement.resolve("gpu:1", 2, true).fallbackReason());
        assertThrows(IllegalArgumentException.class, () -> DevicePlacement.resolve("tpu", 0, false));
        assertThrows(IllegalArgumentException.class, () -> DevicePlacement.resolve("gpu:x", 0, false));
    }

    @Test
    void fallsBackToCpuWithAReasonWhenNoGpu() {
        DevicePlacement.Placement placement = DevicePlacement.resolve("gpu", 0, false);
        assertEquals(Device.cpu(), placement.device());
        assertTrue(placement.fallbackReason().contains("0 GPU"), placement.fallbackReason());
        assertEquals(Device.cpu(), DevicePlacement.resolve("gpu:3", 2, false).device(), "index beyond the GPUs seen");
    }

    @Test
    void refusesWhenAGpuIsRequiredButMissing() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> DevicePlacement.resolve("gpu", 0, true));
        assertTrue(refused.getMessage().contains("require-gpu"), refused.getMessage());
    }

    @Test
    void parsesDtypes() {
        assertEquals("float32", DevicePlacement.dtype("fp32"));
        assertEquals("float16", DevicePlacement.dtype("FP16"));
        assertEquals("bfloat16", DevicePlacement.dtype("bf16"));
        assertEquals("bfloat16", DevicePlacement.dtype("bfloat16"));
        assertThrows(IllegalArgumentException.class, () -> DevicePlacement.dtype("int8"));
    }

    @Test
    void parsesThreadCounts() {
        assertEquals(2, DevicePlacement.threads(" 2 "));
        assertEquals(1, DevicePlacement.threads("1"));
        assertThrows(IllegalArgumentException.class, () -> DevicePlacement.threads("0"));
        assertThrows(IllegalArgumentException.class, () -> DevicePlacement.threads("two"));
    }

    @Test
    void aModelsThreadOptionOverridesTheServerDefault() {
        HalfPrecisionEncoderTest.EngineDefaults defaults = new HalfPrecisionEncoderTest.EngineDefaults();
        assertEquals(defaults.intraOpThreads(), DevicePlacement.forModel(spec(Map.of()), defaults).intraOpThreads());
        assertEquals(2, DevicePlacement.forModel(spec(Map.of("intra_op_threads", "2")), defaults).intraOpThreads());
    }

    private static ModelSpec spec(Map<String, String> options) {
        return new ModelSpec("m", Path.of("."), ModelTask.TEXT_GENERATION, 4, Duration.ZERO, 4096, 8, 1, 1, 128,
                options, 256);
    }
}
