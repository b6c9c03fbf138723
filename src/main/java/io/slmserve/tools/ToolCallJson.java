package io.slmserve.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the JSON of tool calls as models write them: an object with {@code name} and {@code arguments} (Hermes,
 * Mistral) or {@code parameters} (Llama 3), possibly wrapped as {@code {"type": "function", "function": {...}}}.
 * Anything else is not a call (null), so the caller keeps the text as content.
 */
final class ToolCallJson {

    /** A call's name and arguments (a JSON object's text). */
    record Call(String name, String arguments) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private ToolCallJson() {
    }

    /** One call object, e.g. a Hermes block's body. */
    static Call one(String text) {
        JsonNode node = read(text);
        return node == null ? null : call(node);
    }

    /** Mistral: a JSON array of call objects (or one object). */
    static List<Call> array(String text) {
        JsonNode node = read(text);
        if (node == null) {
            return null;
        }
        List<Call> out = new ArrayList<>();
        for (JsonNode item : node.isArray() ? node : List.of(node)) {
            Call c = call(item);
            if (c == null) {
                return null;
            }
            out.add(c);
        }
        return out.isEmpty() ? null : out;
    }

    /** Llama 3: call objects one after another, separated by ';' or whitespace. */
    static List<Call> sequence(String text) {
        List<Call> out = new ArrayList<>();
        int at = 0;
        while (true) {
            while (at < text.length() && (Character.isWhitespace(text.charAt(at)) || text.charAt(at) == ';')) {
                at++;
            }
            if (at == text.length()) {
                return out.isEmpty() ? null : out;
            }
            int end = objectEnd(text, at);
            if (end < 0) {
                return null;
            }
            Call c = one(text.substring(at, end));
            if (c == null) {
                return null;
            }
            out.add(c);
            at = end;
        }
    }

    /** The index after the JSON object starting at {@code start}, or -1 when it does not close. */
    private static int objectEnd(String text, int start) {
        if (text.charAt(start) != '{') {
            return -1;
        }
        int depth = 0;
        boolean inString = false;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return i + 1;
            }
        }
        return -1;
    }

    private static JsonNode read(String text) {
        try {
            return JSON.readTree(text.strip());
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static Call call(JsonNode node) {
        if (!node.isObject()) {
            return null;
        }
        if (node.path("function").isObject()) {
            node = node.get("function");
        }
        JsonNode name = node.get("name");
        if (name == null || !name.isTextual() || name.textValue().isBlank()) {
            return null;
        }
        JsonNode args = node.has("arguments") ? node.get("arguments") : node.get("parameters");
        if (args == null || args.isNull()) {
            return new Call(name.textValue(), "{}");
        }
        if (args.isObject()) {
            return new Call(name.textValue(), args.toString());
        }
        // Some models write the arguments already as a JSON string, as the API returns them.
        JsonNode inner = args.isTextual() ? read(args.textValue()) : null;
        if (inner != null && inner.isObject()) {
            return new Call(name.textValue(), inner.toString());
        }
        return null;
    }
}
