package io.slmserve.core;

import java.util.Arrays;

/**
 * How an embedding model turns its token states into one vector, as sentence-transformers' Pooling module
 * (1_Pooling/config.json) names the modes. Pooling runs engine-side over real tokens only.
 */
public enum Pooling {
    /** The first token's state ([CLS] / {@code <s>}). */
    CLS("cls"),
    /** The average of the real tokens' states. */
    MEAN("mean"),
    /** The element-wise maximum over the real tokens. */
    MAX("max"),
    /** The last real token's state (decoders such as Qwen3-Embedding). */
    LAST_TOKEN("lasttoken");

    private final String id;

    Pooling(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** Parses {@code option.pooling}; the error names every accepted value. */
    public static Pooling fromId(String id) {
        String wanted = id.trim().toLowerCase(java.util.Locale.ROOT).replace("_", "");
        for (Pooling pooling : values()) {
            if (pooling.id.equals(wanted) || (pooling == LAST_TOKEN && wanted.equals("last"))) {
                return pooling;
            }
        }
        throw new IllegalArgumentException("unknown pooling '" + id + "', expected one of "
                + Arrays.stream(values()).map(Pooling::id).toList());
    }
}
