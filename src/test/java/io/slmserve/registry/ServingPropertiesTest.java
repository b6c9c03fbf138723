package io.slmserve.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ServingPropertiesTest {

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    @Test
    void readsDjlServingKeys() {
        ModelSpec spec = ServingProperties.parse("m", Path.of("m"), props("engine", "PyTorch",
                "option.task", "text-embedding", "batch_size", "8", "max_batch_delay", "7", "job_queue_size", "3",
                "minWorkers", "1", "maxWorkers", "2", "max_input_tokens", "128", "option.dtype", "float16"));
        assertEquals(ModelTask.TEXT_EMBEDDING, spec.task());
        assertEquals(8, spec.batchSize());
        assertEquals(Duration.ofMillis(7), spec.maxBatchDelay());
        assertEquals(3, spec.jobQueueSize());
        assertEquals(2, spec.maxWorkers());
        assertEquals(8 * 128, spec.maxBatchTokens(), "token budget defaults to batch_size x max_input_tokens");
        assertEquals("float16", spec.option("dtype", "float32"));
    }

    @Test
    void everyBadValueNamesItsKey() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingProperties.parse("m", Path.of("m"),
                props("option.task", "text-embedding", "batch_size", "many"))).getMessage().contains("batch_size"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingProperties.parse("m", Path.of("m"),
                props("option.task", "summarize"))).getMessage().contains("unknown task"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingProperties.parse("m", Path.of("m"),
                props("option.task", "text-generation", "option.enable_prefix_caching", "yes"))).getMessage()
                .contains("option.enable_prefix_caching"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingProperties.parse("m", Path.of("m"),
                props("option.task", "text-generation", "option.prefix_cache_min_tokens", "0"))).getMessage()
                .contains("option.prefix_cache_min_tokens"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingProperties.parse("m", Path.of("m"),
                props("batch_size", "4"))).getMessage().contains("option.task"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingProperties.parse("m", Path.of("m"),
                props("option.task", "fill-mask", "minWorkers", "3", "maxWorkers", "1"))).getMessage()
                .contains("maxWorkers"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingProperties.parse("m", Path.of("m"),
                props("engine", "OnnxRuntime", "option.task", "fill-mask"))).getMessage().contains("engine"));
        String parser = assertThrows(IllegalArgumentException.class, () -> ServingProperties.parse("m", Path.of("m"),
                props("option.task", "text-generation", "option.tool_call_parser", "hermes2"))).getMessage();
        assertTrue(parser.contains("tool_call_parser") && parser.contains("llama3_json"), parser);
        String reasoning = assertThrows(IllegalArgumentException.class, () -> ServingProperties.parse("m",
                Path.of("m"), props("option.task", "text-generation", "option.reasoning_parser", "r1"))).getMessage();
        assertTrue(reasoning.contains("reasoning_parser") && reasoning.contains("deepseek_r1"), reasoning);
        assertEquals("mistral", ServingProperties.parse("m", Path.of("m"), props("option.task", "text-generation",
                "option.tool_call_parser", "mistral")).option("tool_call_parser", null));
    }
}
