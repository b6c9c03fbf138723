package io.slmserve.tools;

import java.util.Arrays;
import java.util.Locale;

/**
 * Where a reasoning model's thinking goes, named as vLLM's {@code --reasoning-parser} values; serving.properties
 * {@code option.reasoning_parser}, off by default.
 */
public enum ReasoningFormat {
    /**
     * DeepSeek-R1 (and its distills): the generation prompt already opens {@code <think>}, so everything before
     * {@code </think>} is reasoning; a reply that never closes it is all reasoning.
     */
    DEEPSEEK_R1("deepseek_r1"),
    /** Qwen3: reasoning only between a {@code <think>} that starts the reply and its {@code </think>}. */
    QWEN3("qwen3"),
    /** No reasoning split. */
    NONE("none");

    static final String OPEN = "<think>";
    static final String CLOSE = "</think>";

    private final String id;

    ReasoningFormat(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static ReasoningFormat fromId(String id) {
        for (ReasoningFormat f : values()) {
            if (f.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown reasoning_parser '" + id + "', expected one of "
                + Arrays.stream(values()).map(ReasoningFormat::id).toList());
    }
}
