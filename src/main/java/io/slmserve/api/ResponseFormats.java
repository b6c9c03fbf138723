package io.slmserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.slmserve.core.OutputConstraint;
import io.slmserve.core.OutputConstraint.Kind;
import io.slmserve.core.ServingException;
import java.util.ArrayList;
import java.util.List;

/**
 * The request fields that constrain output, read into one {@link OutputConstraint}: OpenAI's response_format,
 * vLLM's guided_json / guided_regex / guided_choice and structured_outputs, TGI's parameters.grammar. At most one
 * may be given; a malformed one is a 400 naming its field. Whether the constraint can be met is decided later,
 * when it is compiled for the model's vocabulary.
 */
final class ResponseFormats {

    private ResponseFormats() {
    }

    /** OpenAI and vLLM fields of /v1/completions and /v1/chat/completions; null when none constrains. */
    static OutputConstraint openAi(JsonNode responseFormat, JsonNode guidedJson, String guidedRegex,
                                   List<String> guidedChoice, JsonNode structuredOutputs) {
        List<OutputConstraint> found = new ArrayList<>();
        add(found, responseFormat(responseFormat));
        if (guidedJson != null && !guidedJson.isNull()) {
            found.add(schema(guidedJson, "guided_json"));
        }
        if (guidedRegex != null) {
            found.add(regex(guidedRegex, "guided_regex"));
        }
        if (guidedChoice != null) {
            found.add(choice(guidedChoice, "guided_choice"));
        }
        add(found, structuredOutputs(structuredOutputs));
        if (found.size() > 1) {
            throw ServingException.invalid(found.get(1).field(), "only one output constraint per request: "
                    + found.get(0).field() + " and " + found.get(1).field() + " were both given");
        }
        return found.isEmpty() ? null : found.get(0);
    }

    /** TGI's {"type": "json" | "regex", "value": ...}. */
    static OutputConstraint grammar(JsonNode grammar) {
        String field = "parameters.grammar";
        if (grammar == null || grammar.isNull()) {
            return null;
        }
        if (!grammar.isObject() || !grammar.path("type").isTextual() || !grammar.has("value")) {
            throw ServingException.invalid(field, field + " must be {\"type\": \"json\" | \"regex\", \"value\": ...}");
        }
        return switch (grammar.get("type").textValue()) {
            case "json", "json_schema" -> schema(grammar.get("value"), field + ".value");
            case "regex" -> {
                if (!grammar.get("value").isTextual()) {
                    throw ServingException.invalid(field + ".value", field + ".value must be a string for type regex");
                }
                yield regex(grammar.get("value").textValue(), field + ".value");
            }
            default -> throw ServingException.invalid(field + ".type", field + ".type must be \"json\" or \"regex\", "
                    + "got '" + grammar.get("type").textValue() + "'");
        };
    }

    private static void add(List<OutputConstraint> found, OutputConstraint c) {
        if (c != null) {
            found.add(c);
        }
    }

    private static OutputConstraint responseFormat(JsonNode format) {
        String field = "response_format";
        if (format == null || format.isNull()) {
            return null;
        }
        if (!format.isObject() || !format.path("type").isTextual()) {
            throw ServingException.invalid(field, field + " must be an object with a string 'type'");
        }
        return switch (format.get("type").textValue()) {
            case "text" -> null;
            case "json_object" -> new OutputConstraint(Kind.JSON_OBJECT, null, List.of(), field);
            case "json_schema" -> {
                JsonNode spec = format.get("json_schema");
                if (spec == null || !spec.isObject()) {
                    throw ServingException.invalid(field + ".json_schema", field + ".json_schema must be an object "
                            + "with 'name' and 'schema'");
                }
                JsonNode schema = spec.get("schema");
                if (schema == null || !schema.isObject()) {
                    throw ServingException.invalid(field + ".json_schema.schema", field
                            + ".json_schema.schema must be a JSON schema object");
                }
                yield new OutputConstraint(Kind.JSON_SCHEMA, schema.toString(), List.of(),
                        field + ".json_schema.schema");
            }
            default -> throw ServingException.invalid(field + ".type", field + ".type must be text, json_object or "
                    + "json_schema, got '" + format.get("type").textValue() + "'");
        };
    }

    private static OutputConstraint structuredOutputs(JsonNode so) {
        String field = "structured_outputs";
        if (so == null || so.isNull()) {
            return null;
        }
        if (!so.isObject()) {
            throw ServingException.invalid(field, field + " must be an object");
        }
        List<OutputConstraint> found = new ArrayList<>();
        for (var it = so.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue().isNull()) {
                continue;
            }
            String f = field + "." + e.getKey();
            switch (e.getKey()) {
                case "json" -> found.add(schema(e.getValue(), f));
                case "regex" -> {
                    if (!e.getValue().isTextual()) {
                        throw ServingException.invalid(f, f + " must be a string");
                    }
                    found.add(regex(e.getValue().textValue(), f));
                }
                case "choice" -> {
                    if (!e.getValue().isArray()) {
                        throw ServingException.invalid(f, f + " must be an array of strings");
                    }
                    List<String> choices = new ArrayList<>();
                    for (JsonNode c : e.getValue()) {
                        if (!c.isTextual()) {
                            throw ServingException.invalid(f, f + " must be an array of strings");
                        }
                        choices.add(c.textValue());
                    }
                    found.add(choice(choices, f));
                }
                case "json_object" -> {
                    if (e.getValue().asBoolean(false)) {
                        found.add(new OutputConstraint(Kind.JSON_OBJECT, null, List.of(), f));
                    }
                }
                default -> throw ServingException.invalid(f, f + " is not supported (json, regex, choice and "
                        + "json_object are)");
            }
        }
        if (found.size() > 1) {
            throw ServingException.invalid(field, field + " must hold one of json, regex, choice");
        }
        return found.isEmpty() ? null : found.get(0);
    }

    /** A schema given as a JSON object or as JSON text. */
    private static OutputConstraint schema(JsonNode schema, String field) {
        String text;
        if (schema.isObject() || schema.isBoolean()) {
            text = schema.toString();
        } else if (schema.isTextual()) {
            text = schema.textValue();
        } else {
            throw ServingException.invalid(field, field + " must be a JSON schema (an object, or its JSON text)");
        }
        return new OutputConstraint(Kind.JSON_SCHEMA, text, List.of(), field);
    }

    private static OutputConstraint regex(String regex, String field) {
        if (regex.isEmpty()) {
            throw ServingException.invalid(field, field + " must not be empty");
        }
        return new OutputConstraint(Kind.REGEX, regex, List.of(), field);
    }

    private static OutputConstraint choice(List<String> choices, String field) {
        if (choices.isEmpty() || choices.stream().anyMatch(c -> c == null || c.isEmpty())) {
            throw ServingException.invalid(field, field + " must be a non-empty array of non-empty strings");
        }
        return new OutputConstraint(Kind.CHOICE, null, choices, field);
    }
}
