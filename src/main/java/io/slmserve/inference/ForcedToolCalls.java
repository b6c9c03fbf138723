package io.slmserve.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.slmserve.constraint.ToolCallLanguage;
import io.slmserve.core.OutputConstraint;
import io.slmserve.core.ServingException;
import io.slmserve.tools.ToolCallFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The output constraint that makes {@code tool_choice: "required"} or a named function a call, written in the
 * answering model's tool-call format so the reply parser reads it back: Hermes blocks
 * ({@link ToolCallLanguage#hermes}) or Llama 3's bare {@code {"name": ..., "parameters": {...}}} object (one call,
 * as a JSON schema). Mistral's {@code [TOOL_CALLS]} prefix is a special token the text constraint cannot write, so
 * forcing there (and for a model without a tool-call format) is a 400 naming tool_choice.
 */
public final class ForcedToolCalls {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FIELD = "tool_choice";

    private ForcedToolCalls() {
    }

    /**
     * @param tools    the request's tools as the template takes them ({type, function: {name, parameters}})
     * @param only     the named function, or null for any declared one
     * @param parallel whether several calls may follow one another (Hermes only)
     */
    public static OutputConstraint of(String model, ToolCallFormat format, List<Map<String, Object>> tools,
                                      String only, boolean parallel) {
        List<ToolCallLanguage.Tool> offered = new ArrayList<>();
        for (Map<String, Object> tool : tools) {
            JsonNode function = JSON.valueToTree(tool.get("function"));
            String name = function.path("name").asText();
            if (only == null || only.equals(name)) {
                JsonNode parameters = function.get("parameters");
                offered.add(new ToolCallLanguage.Tool(name, parameters == null || parameters.isNull() ? null
                        : parameters));
            }
        }
        return switch (format) {
            case HERMES -> ToolCallLanguage.hermes(offered, parallel, FIELD);
            case LLAMA3_JSON -> llama3(offered);
            default -> throw ServingException.invalid(FIELD, "tool_choice required or a named function forces a "
                    + "call only for models whose tool-call format is hermes or llama3_json; model '" + model
                    + "' uses " + format.id() + " (use tool_choice auto)");
        };
    }

    /** One {"name": NAME, "parameters": ARGS} object, ARGS valid against that function's schema. */
    private static OutputConstraint llama3(List<ToolCallLanguage.Tool> tools) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ArrayNode anyOf = root.putArray("anyOf");
        ObjectNode defs = JsonNodeFactory.instance.objectNode();
        for (ToolCallLanguage.Tool t : tools) {
            ObjectNode call = anyOf.addObject();
            call.put("type", "object");
            ObjectNode props = call.putObject("properties");
            props.putObject("name").put("const", t.name());
            JsonNode parameters = t.parameters() == null ? JsonNodeFactory.instance.objectNode().put("type", "object")
                    : t.parameters();
            // $ref "#/$defs/X" points at the document root, so each tool's $defs move up; a clash is ambiguous.
            if (parameters.has("$defs")) {
                var names = parameters.get("$defs").fieldNames();
                while (names.hasNext()) {
                    String def = names.next();
                    JsonNode value = parameters.get("$defs").get(def);
                    if (defs.has(def) && !defs.get(def).equals(value)) {
                        throw ServingException.invalid(FIELD, "tools define $defs '" + def + "' differently; a "
                                + "forced llama3_json call needs one meaning per name");
                    }
                    defs.set(def, value);
                }
                parameters = ((ObjectNode) parameters.deepCopy()).without("$defs");
            }
            props.set("parameters", parameters);
            call.putArray("required").add("name").add("parameters");
            call.put("additionalProperties", false);
        }
        if (!defs.isEmpty()) {
            root.set("$defs", defs);
        }
        return new OutputConstraint(OutputConstraint.Kind.JSON_SCHEMA, root.toString(), List.of(), FIELD);
    }
}
