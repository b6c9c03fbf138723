package io.slmserve.registry;

import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Parses a model folder's serving.properties (DJL Serving key names) into a {@link ModelSpec}.
 * Every malformed or missing value is reported by key, so a FAILED model says exactly what to fix.
 */
public final class ServingProperties {

    public static final String FILE = "serving.properties";

    private ServingProperties() {
    }

    public static ModelSpec read(String id, Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("missing " + FILE);
        }
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            props.load(reader);
        }
        return parse(id, dir, props);
    }

    static ModelSpec parse(String id, Path dir, Properties props) {
        String engine = props.getProperty("engine", "PyTorch").trim();
        if (!engine.equalsIgnoreCase("PyTorch")) {
            throw new IllegalArgumentException("engine=" + engine + " is not supported (only PyTorch)");
        }
        String task = props.getProperty("option.task");
        if (task == null || task.isBlank()) {
            throw new IllegalArgumentException("option.task is required");
        }
        int batchSize = intValue(props, "batch_size", 16);
        int maxInputTokens = intValue(props, "max_input_tokens", 512);
        int minWorkers = intValue(props, "minWorkers", 1);
        // Decoders: prompt plus generated tokens per sequence; the default token budget leaves every slot usable.
        int maxTotalTokens = intValue(props, "max_total_tokens", maxInputTokens);
        Map<String, String> options = new HashMap<>();
        for (String key : props.stringPropertyNames()) {
            if (key.startsWith("option.")) {
                options.put(key.substring("option.".length()), props.getProperty(key).trim());
            }
        }
        // A misspelt parser fails the model at load, naming the accepted values, rather than its first chat request.
        if (options.containsKey("tool_call_parser")) {
            io.slmserve.tools.ToolCallFormat.fromId(options.get("tool_call_parser"));
        }
        if (options.containsKey("reasoning_parser")) {
            io.slmserve.tools.ReasoningFormat.fromId(options.get("reasoning_parser"));
        }
        checkPrefixCaching(options);
        return new ModelSpec(id, dir, ModelTask.fromId(task), batchSize,
                Duration.ofMillis(intValue(props, "max_batch_delay", 5)),
                intValue(props, "max_batch_tokens", batchSize * Math.max(maxInputTokens, maxTotalTokens)),
                intValue(props, "job_queue_size", 100),
                minWorkers,
                intValue(props, "maxWorkers", minWorkers),
                maxInputTokens,
                options,
                maxTotalTokens);
    }

    /** Decoders' prefix caching keys, checked here so a typo fails the folder with its reason. */
    private static void checkPrefixCaching(Map<String, String> options) {
        String enable = options.getOrDefault("enable_prefix_caching", "true");
        if (!enable.equals("true") && !enable.equals("false")) {
            throw new IllegalArgumentException("option.enable_prefix_caching must be true or false, was '" + enable
                    + "'");
        }
        String min = options.getOrDefault("prefix_cache_min_tokens", "16");
        if (!min.matches("[0-9]{1,6}") || Integer.parseInt(min) < 1) {
            throw new IllegalArgumentException("option.prefix_cache_min_tokens must be a positive integer, was '"
                    + min + "'");
        }
    }

    private static int intValue(Properties props, String key, int fallback) {
        String raw = props.getProperty(key);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(raw.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, was '" + raw.trim() + "'");
        }
    }
}
