package io.slmserve.core;

import java.util.List;
import java.util.Objects;

/**
 * What a request asks its output to match, as the API received it (validated and compiled per model later).
 *
 * @param kind    the language the value describes
 * @param value   JSON_SCHEMA: the schema as JSON text; REGEX: the regular expression; otherwise null
 * @param choices CHOICE: the exact strings allowed; otherwise empty
 * @param field   the request field it came from, named in any 400
 */
public record OutputConstraint(Kind kind, String value, List<String> choices, String field) {

    /** The kinds of constraint the API accepts. */
    public enum Kind {
        /** Any JSON object (OpenAI json_object), nesting bounded. */
        JSON_OBJECT,
        /** A JSON document valid against a JSON schema. */
        JSON_SCHEMA,
        /** Text that matches a regular expression in full. */
        REGEX,
        /** Exactly one of a list of strings. */
        CHOICE,
        /** Hermes-format tool calls; value is a JSON {"parallel": bool, "tools": [{"name", "parameters"}]}. */
        TOOL_CALLS
    }

    public OutputConstraint {
        Objects.requireNonNull(kind, "kind");
        choices = choices == null ? List.of() : List.copyOf(choices);
    }

    /** The cache key: two requests with equal keys compile to the same automaton. */
    public String key() {
        return kind + "\u0000" + (value == null ? "" : value) + "\u0000" + String.join("\u0001", choices);
    }
}
