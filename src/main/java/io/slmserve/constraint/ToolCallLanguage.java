package io.slmserve.constraint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.BasicOperations;
import io.slmserve.core.OutputConstraint;
import java.util.ArrayList;
import java.util.List;

/**
 * Tool calls in the Hermes format (Qwen, SmolLM, Hermes chat templates): one or more
 * {@code <tool_call>\n{"name": NAME, "arguments": ARGS}\n</tool_call>} blocks, each naming one of the offered
 * functions with arguments valid against that function's parameters schema.
 */
public final class ToolCallLanguage {

    private ToolCallLanguage() {
    }

    /** One function a call may name, with its JSON-schema parameters (null: any object). */
    public record Tool(String name, JsonNode parameters) {
    }

    /**
     * The constraint for {@code tool_choice: "required"} (several tools) or a named function (one tool).
     *
     * @param parallel allow several calls one after the other
     * @param field    the request field named in a 400 (e.g. "tools")
     */
    public static OutputConstraint hermes(List<Tool> tools, boolean parallel, String field) {
        ObjectNode spec = JsonNodeFactory.instance.objectNode();
        spec.put("parallel", parallel);
        var array = spec.putArray("tools");
        for (Tool t : tools) {
            ObjectNode o = array.addObject();
            o.put("name", t.name());
            o.set("parameters", t.parameters() == null ? JsonNodeFactory.instance.objectNode().put("type", "object")
                    : t.parameters());
        }
        return new OutputConstraint(OutputConstraint.Kind.TOOL_CALLS, spec.toString(), List.of(), field);
    }

    static Automaton of(JsonNode spec, ConstraintCompiler.Settings settings, String field) {
        JsonNode tools = spec.path("tools");
        if (!tools.isArray() || tools.isEmpty()) {
            throw ConstraintException.invalid(field, "at least one function is needed");
        }
        List<Automaton> calls = new ArrayList<>();
        for (JsonNode tool : tools) {
            ObjectNode call = JsonNodeFactory.instance.objectNode();
            call.put("type", "object");
            ObjectNode props = call.putObject("properties");
            props.putObject("name").put("const", tool.path("name").asText());
            props.set("arguments", tool.path("parameters"));
            call.putArray("required").add("name").add("arguments");
            call.put("additionalProperties", false);
            if (tool.path("parameters").has("$defs")) {
                call.set("$defs", tool.path("parameters").get("$defs"));
            }
            Automaton json = JsonSchemaLanguage.of(call, 0, settings.jsonDepth(), field);
            calls.add(BasicAutomata.makeString("<tool_call>\n").concatenate(json)
                    .concatenate(BasicAutomata.makeString("\n</tool_call>")));
        }
        Automaton one = BasicOperations.union(calls);
        Automaton out = spec.path("parallel").asBoolean(false)
                ? one.concatenate(BasicAutomata.makeString("\n").concatenate(one).repeat()) : one;
        out.minimize();
        return out;
    }
}
