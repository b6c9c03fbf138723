package io.slmserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.slmserve.core.ServingException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the polymorphic {@code input}/{@code inputs} fields: a string, an array of strings, an array of
 * token ids, or an array of token-id arrays. Anything else is a 400 naming the field.
 */
final class InputParser {

    /** Exactly one of the two lists is non-null. */
    record Inputs(List<String> texts, List<long[]> tokenIds) {
    }

    private InputParser() {
    }

    /** JAX-RS binds an empty body to null. */
    static void requireBody(Object request) {
        if (request == null) {
            throw ServingException.invalid(null, "a JSON body is required");
        }
    }

    static Inputs parse(JsonNode node, String field) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            throw ServingException.invalid(field, "'" + field + "' is required");
        }
        if (node.isTextual()) {
            return new Inputs(List.of(node.textValue()), null);
        }
        if (!node.isArray()) {
            throw ServingException.invalid(field, "'" + field + "' must be a string or an array, got " + kind(node));
        }
        if (node.isEmpty()) {
            throw ServingException.invalid(field, "'" + field + "' must not be empty");
        }
        JsonNode first = node.get(0);
        if (first.isTextual()) {
            List<String> texts = new ArrayList<>(node.size());
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                if (!item.isTextual()) {
                    throw ServingException.invalid(field, field + "[" + i + "] must be a string, got " + kind(item));
                }
                texts.add(item.textValue());
            }
            return new Inputs(texts, null);
        }
        if (first.isIntegralNumber()) {
            return new Inputs(null, List.of(ids(node, field)));
        }
        if (first.isArray()) {
            List<long[]> rows = new ArrayList<>(node.size());
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                if (!item.isArray()) {
                    throw ServingException.invalid(field, field + "[" + i + "] must be an array of token ids, got "
                            + kind(item));
                }
                rows.add(ids(item, field + "[" + i + "]"));
            }
            return new Inputs(null, rows);
        }
        throw ServingException.invalid(field, field + "[0] must be a string, a token id or an array of token ids, got "
                + kind(first));
    }

    /** Only strings: for endpoints that take text. */
    static List<String> texts(JsonNode node, String field) {
        Inputs inputs = parse(node, field);
        if (inputs.texts() == null) {
            throw ServingException.invalid(field, "'" + field + "' must be a string or an array of strings");
        }
        return inputs.texts();
    }

    static long[] ids(JsonNode node, String field) {
        if (!node.isArray()) {
            throw ServingException.invalid(field, "'" + field + "' must be an array of token ids, got " + kind(node));
        }
        long[] ids = new long[node.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = node.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToLong()) {
                throw ServingException.invalid(field, field + "[" + i + "] must be an integer token id, got " + kind(id));
            }
            ids[i] = id.longValue();
        }
        return ids;
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
