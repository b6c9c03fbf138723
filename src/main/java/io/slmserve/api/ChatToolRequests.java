package io.slmserve.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.slmserve.api.dto.ChatCompletionRequest;
import io.slmserve.core.ServingException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tool-calling half of a chat request, checked as OpenAI checks it, each fault a 400 naming its field: tools
 * (functions with a JSON-schema object as parameters, unique valid names), tool_choice (none, auto, required or a
 * declared function), and the history's assistant tool_calls (arguments parsed from their JSON text to an object,
 * as transformers' templates expect) and tool messages.
 */
final class ChatToolRequests {

    /** OpenAI's rule for function names. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private ChatToolRequests() {
    }

    /** The declared tools as the template takes them, or null when none. */
    static List<Map<String, Object>> tools(List<JsonNode> tools) {
        if (tools == null) {
            return null;
        }
        List<Map<String, Object>> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            String at = "tools[" + i + "]";
            JsonNode tool = tools.get(i);
            if (tool == null || !tool.isObject()) {
                throw ServingException.invalid(at, at + " must be an object {type: function, function: {...}}");
            }
            if (!"function".equals(tool.path("type").asText(null))) {
                throw ServingException.invalid(at + ".type", at + ".type must be \"function\"");
            }
            JsonNode function = tool.get("function");
            if (function == null || !function.isObject()) {
                throw ServingException.invalid(at + ".function", at + ".function must be an object with a name");
            }
            JsonNode name = function.get("name");
            if (name == null || !name.isTextual() || !NAME.matcher(name.textValue()).matches()) {
                throw ServingException.invalid(at + ".function.name", at + ".function.name must be 1 to 64 letters, "
                        + "digits, underscores or dashes");
            }
            if (!names.add(name.textValue())) {
                throw ServingException.invalid(at + ".function.name", "tool name '" + name.textValue()
                        + "' is declared twice");
            }
            JsonNode description = function.get("description");
            if (description != null && !description.isTextual() && !description.isNull()) {
                throw ServingException.invalid(at + ".function.description", at + ".function.description must be a "
                        + "string");
            }
            JsonNode parameters = function.get("parameters");
            if (parameters != null && !parameters.isNull() && !isSchemaObject(parameters)) {
                throw ServingException.invalid(at + ".function.parameters", at + ".function.parameters must be a JSON "
                        + "schema object (e.g. {\"type\": \"object\", \"properties\": {...}})");
            }
            out.add(JSON.convertValue(tool, MAP));
        }
        return out.isEmpty() ? null : out;
    }

    /** A JSON schema for the arguments: an object whose type, if given, is "object". */
    private static boolean isSchemaObject(JsonNode schema) {
        if (!schema.isObject()) {
            return false;
        }
        JsonNode type = schema.get("type");
        JsonNode properties = schema.get("properties");
        return (type == null || "object".equals(type.asText(null))) && (properties == null || properties.isObject());
    }

    /** tool_choice, checked against the declared tool names. */
    static ToolChoice choice(JsonNode choice, List<Map<String, Object>> tools) {
        if (choice == null || choice.isNull()) {
            return tools == null ? ToolChoice.NONE : ToolChoice.AUTO;
        }
        if (choice.isTextual()) {
            ToolChoice out = switch (choice.textValue()) {
                case "none" -> ToolChoice.NONE;
                case "auto" -> ToolChoice.AUTO;
                case "required" -> ToolChoice.REQUIRED;
                default -> throw ServingException.invalid("tool_choice", "tool_choice must be none, auto, required "
                        + "or {\"type\": \"function\", \"function\": {\"name\": ...}}");
            };
            if (out != ToolChoice.NONE && tools == null) {
                throw ServingException.invalid("tool_choice", "tool_choice '" + choice.textValue()
                        + "' needs tools");
            }
            return out;
        }
        String name = choice.path("function").path("name").asText(null);
        if (!choice.isObject() || !"function".equals(choice.path("type").asText(null)) || name == null) {
            throw ServingException.invalid("tool_choice", "tool_choice must be none, auto, required or "
                    + "{\"type\": \"function\", \"function\": {\"name\": ...}}");
        }
        boolean declared = tools != null && tools.stream().anyMatch(t -> t.get("function") instanceof Map<?, ?> f
                && name.equals(f.get("name")));
        if (!declared) {
            throw ServingException.invalid("tool_choice", "tool_choice names function '" + name
                    + "', which is not in tools");
        }
        return ToolChoice.named(name);
    }

    /** Adds a message's tool_call_id and tool_calls (arguments as a mapping) to its template form. */
    static void addToolFields(ChatCompletionRequest.Message m, Map<String, Object> out, int index) {
        if (m.toolCallId() != null) {
            out.put("tool_call_id", m.toolCallId());
        }
        if ("tool".equals(m.role()) && m.toolCallId() == null) {
            throw ServingException.invalid("messages[" + index + "].tool_call_id", "a tool message needs "
                    + "tool_call_id, the id of the call it answers");
        }
        if (m.toolCalls() != null && !m.toolCalls().isEmpty()) {
            if (!"assistant".equals(m.role())) {
                throw ServingException.invalid("messages[" + index + "].tool_calls", "only assistant messages carry "
                        + "tool_calls");
            }
            List<Object> calls = new ArrayList<>();
            for (int j = 0; j < m.toolCalls().size(); j++) {
                calls.add(call(m.toolCalls().get(j), "messages[" + index + "].tool_calls[" + j + "]"));
            }
            out.put("tool_calls", calls);
        }
    }

    private static Map<String, Object> call(JsonNode call, String at) {
        JsonNode function = call == null ? null : call.get("function");
        if (function == null || !function.isObject() || !function.path("name").isTextual()) {
            throw ServingException.invalid(at + ".function", at + " must be {id, type: function, function: {name, "
                    + "arguments}}");
        }
        ObjectNode copy = call.deepCopy();
        JsonNode arguments = function.get("arguments");
        // The API carries arguments as JSON text; templates (transformers' convention) iterate them as a mapping.
        if (arguments != null && arguments.isTextual()) {
            try {
                JsonNode parsed = JSON.readTree(arguments.textValue());
                if (parsed == null || !parsed.isObject()) {
                    throw new IllegalArgumentException();
                }
                ((ObjectNode) copy.get("function")).set("arguments", parsed);
            } catch (JsonProcessingException | IllegalArgumentException e) {
                throw ServingException.invalid(at + ".function.arguments", at + ".function.arguments must be a JSON "
                        + "object's text");
            }
        }
        return JSON.convertValue(copy, MAP);
    }
}
