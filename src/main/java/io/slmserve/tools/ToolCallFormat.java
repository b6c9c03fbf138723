package io.slmserve.tools;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a model writes a tool call, named as vLLM's {@code --tool-call-parser} values. Chosen by serving.properties
 * {@code option.tool_call_parser}; without it, {@link #detect} reads the chat template.
 */
public enum ToolCallFormat {
    /** Hermes, Qwen2.5, Qwen3: {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}, one block per call. */
    HERMES("hermes", "<tool_call>"),
    /** Llama 3.1/3.2: the whole reply is {@code {"name": ..., "parameters": {...}}} (calls joined by ';'). */
    LLAMA3_JSON("llama3_json", "{"),
    /** Mistral v0.3: {@code [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]}. */
    MISTRAL("mistral", "[TOOL_CALLS]"),
    /** Tool calls are not parsed: the reply is content. */
    NONE("none", null);

    private final String id;
    private final String marker;

    ToolCallFormat(String id, String marker) {
        this.id = id;
        this.marker = marker;
    }

    public String id() {
        return id;
    }

    /** The text that starts a call (for Llama-3 JSON: at the start of the reply only). */
    String marker() {
        return marker;
    }

    public static ToolCallFormat fromId(String id) {
        for (ToolCallFormat f : values()) {
            if (f.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown tool_call_parser '" + id + "', expected one of "
                + Arrays.stream(values()).map(ToolCallFormat::id).toList());
    }

    /**
     * The format a chat template teaches: it writes {@code <tool_call>} (Hermes, Qwen), {@code [TOOL_CALLS]}
     * (Mistral), or asks for {@code "parameters"} JSON / uses {@code <|python_tag|>} (Llama 3); otherwise none.
     */
    public static ToolCallFormat detect(String chatTemplate) {
        if (chatTemplate == null) {
            return NONE;
        }
        if (chatTemplate.contains("<tool_call>")) {
            return HERMES;
        }
        if (chatTemplate.contains("[TOOL_CALLS]")) {
            return MISTRAL;
        }
        if (chatTemplate.contains("<|python_tag|>")
                || chatTemplate.contains("\"parameters\"") && chatTemplate.contains("<|eom_id|>")
                || chatTemplate.contains("{\"name\": function name, \"parameters\"")) {
            return LLAMA3_JSON;
        }
        return NONE;
    }
}
