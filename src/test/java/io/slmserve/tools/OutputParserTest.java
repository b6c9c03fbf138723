package io.slmserve.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tool-call and reasoning parsing on replies written as the models' own templates and docs show them (Qwen2.5's
 * Hermes blocks, Llama 3.2's JSON, Mistral v0.3's [TOOL_CALLS], DeepSeek-R1's and Qwen3's think tags); every
 * malformed call stays content, word for word; a stream fed one character at a time parses as the whole reply.
 */
class OutputParserTest {

    private static ParsedReply parse(String text, ToolCallFormat tools) {
        return ParsedReply.parse(text, tools, ReasoningFormat.NONE);
    }

    private static void call(OutputDelta.ToolCall c, int index, String name, String arguments) {
        assertEquals(index, c.index());
        assertEquals(name, c.name());
        assertEquals(arguments, c.arguments());
    }

    @Test
    void hermesBlocksBecomeCalls() {
        ParsedReply r = parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", "
                + "\"unit\": \"celsius\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n"
                + "</tool_call>", ToolCallFormat.HERMES);
        assertNull(r.content());
        assertEquals(2, r.toolCalls().size());
        call(r.toolCalls().get(0), 0, "get_weather", "{\"city\":\"Paris\",\"unit\":\"celsius\"}");
        call(r.toolCalls().get(1), 1, "get_time", "{}");
        assertTrue(r.toolCalls().get(0).id().matches("call_[A-Za-z0-9]{24}"), r.toolCalls().get(0).id());
        assertTrue(!r.toolCalls().get(0).id().equals(r.toolCalls().get(1).id()), "fresh ids");
    }

    @Test
    void hermesKeepsTheTextBeforeACallAndAcceptsAnUnclosedLastCall() {
        ParsedReply r = parse("Let me check.\n<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"q\": \"a<b\"}}",
                ToolCallFormat.HERMES);
        assertEquals("Let me check.\n", r.content());
        call(r.toolCalls().get(0), 0, "lookup", "{\"q\":\"a<b\"}");
    }

    @Test
    void malformedCallsStayContent() {
        String broken = "Sure <tool_call>{\"name\": \"f\", \"arguments\": {\"x\": }</tool_call> done";
        ParsedReply r = parse(broken, ToolCallFormat.HERMES);
        assertEquals(broken, r.content());
        assertTrue(r.toolCalls().isEmpty());
        String noName = "<tool_call>{\"arguments\": {}}</tool_call>";
        assertEquals(noName, parse(noName, ToolCallFormat.HERMES).content());
        String llama = "{\"name\": \"f\", \"parameters\": [1, 2]}";
        assertEquals(llama, parse(llama, ToolCallFormat.LLAMA3_JSON).content());
        String mistral = "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": 1}";
        assertEquals(mistral, parse(mistral, ToolCallFormat.MISTRAL).content());
        String lookalike = "use <tool> or <tool_cal and [TOOL_CALL";
        assertEquals(lookalike, parse(lookalike, ToolCallFormat.HERMES).content());
        assertEquals(lookalike, parse(lookalike, ToolCallFormat.MISTRAL).content());
    }

    @Test
    void llama3JsonCalls() {
        ParsedReply r = parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}",
                ToolCallFormat.LLAMA3_JSON);
        assertNull(r.content());
        call(r.toolCalls().get(0), 0, "get_weather", "{\"city\":\"Paris\"}");
        r = parse("<|python_tag|>{\"type\": \"function\", \"function\": {\"name\": \"a\", \"parameters\": {\"x\": 1}}}; "
                + "{\"name\": \"b\", \"arguments\": \"{\\\"y\\\": [true, null]}\"}", ToolCallFormat.LLAMA3_JSON);
        assertEquals(2, r.toolCalls().size());
        call(r.toolCalls().get(0), 0, "a", "{\"x\":1}");
        call(r.toolCalls().get(1), 1, "b", "{\"y\":[true,null]}");
        assertEquals("The weather in Paris is {sunny}.",
                parse("The weather in Paris is {sunny}.", ToolCallFormat.LLAMA3_JSON).content());
    }

    @Test
    void mistralToolCalls() {
        ParsedReply r = parse("[TOOL_CALLS] [{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}, "
                + "{\"name\": \"neg\", \"arguments\": {\"a\": 1.5}}]", ToolCallFormat.MISTRAL);
        assertNull(r.content());
        call(r.toolCalls().get(0), 0, "add", "{\"a\":2,\"b\":3}");
        call(r.toolCalls().get(1), 1, "neg", "{\"a\":1.5}");
        assertTrue(r.toolCalls().get(0).id().matches("[A-Za-z0-9]{9}"), "Mistral's templates need 9 alphanumerics");
    }

    @Test
    void reasoningIsSplitOff() {
        ParsedReply r = ParsedReply.parse("Two plus two.</think>\n\nThe answer is 4.", ToolCallFormat.NONE,
                ReasoningFormat.DEEPSEEK_R1);
        assertEquals("Two plus two.", r.reasoning());
        assertEquals("\n\nThe answer is 4.", r.content());
        r = ParsedReply.parse("<think>\nStill thinking", ToolCallFormat.NONE, ReasoningFormat.DEEPSEEK_R1);
        assertEquals("\nStill thinking", r.reasoning());
        assertNull(r.content());
        r = ParsedReply.parse("<think>\nNeed the weather.\n</think>\n\n<tool_call>\n{\"name\": \"w\", \"arguments\": "
                + "{\"c\": \"Oslo\"}}\n</tool_call>", ToolCallFormat.HERMES, ReasoningFormat.QWEN3);
        assertEquals("\nNeed the weather.\n", r.reasoning());
        assertNull(r.content());
        call(r.toolCalls().get(0), 0, "w", "{\"c\":\"Oslo\"}");
        r = ParsedReply.parse("No thinking here </think>", ToolCallFormat.NONE, ReasoningFormat.QWEN3);
        assertNull(r.reasoning(), "Qwen3 thinks only from a leading <think>");
        assertEquals("No thinking here </think>", r.content());
    }

    @Test
    void aStreamFedPieceByPieceParsesAsTheWholeReply() {
        String[] replies = {
            "Let me check.\n<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"q\": \"x\"}}\n</tool_call>\n"
                    + "<tool_call>{\"name\": \"two\", \"arguments\": {}}</tool_call>\n",
            "Sure <tool_call>{\"name\": \"f\", \"arguments\": {\"x\": }</tool_call> done <tool",
            "<think>plan</think>Answer: <tool_call>{\"name\": \"g\", \"arguments\": {\"k\": \"</tool\"}}</tool_call>",
        };
        for (String reply : replies) {
            ParsedReply whole = ParsedReply.parse(reply, ToolCallFormat.HERMES, ReasoningFormat.QWEN3);
            OutputParser parser = new OutputParser(ToolCallFormat.HERMES, ReasoningFormat.QWEN3);
            List<OutputDelta> deltas = new ArrayList<>();
            for (int i = 0; i < reply.length(); i++) {
                deltas.addAll(parser.feed(reply.substring(i, i + 1)));
            }
            deltas.addAll(parser.finish());
            StringBuilder content = new StringBuilder();
            List<String> names = new ArrayList<>();
            for (OutputDelta d : deltas) {
                if (d instanceof OutputDelta.Content c) {
                    content.append(c.text());
                } else if (d instanceof OutputDelta.ToolCall c) {
                    names.add(c.name() + c.arguments());
                }
            }
            assertEquals(whole.content() == null ? "" : whole.content(), content.toString(), reply);
            assertEquals(whole.toolCalls().stream().map(c -> c.name() + c.arguments()).toList(), names, reply);
        }
    }

    @Test
    void contentBeforeACallIsReleasedBeforeTheCallCompletes() {
        OutputParser parser = new OutputParser(ToolCallFormat.HERMES, ReasoningFormat.NONE);
        assertEquals(List.of(new OutputDelta.Content("Checking ")), parser.feed("Checking <tool_"));
        assertEquals(List.of(), parser.feed("call>{\"name\": \"f\", \"arguments\": {}}"));
        List<OutputDelta> done = parser.feed("</tool_call>");
        assertEquals(1, done.size());
        assertTrue(done.get(0) instanceof OutputDelta.ToolCall c && c.name().equals("f"));
        assertTrue(parser.calledTools());
    }

    /** The committed real templates (src/test/resources/chat-templates): the families trained to call tools. */
    @Test
    void realTemplatesGetTheirFamilysFormat() throws java.io.IOException {
        java.nio.file.Path dir = java.nio.file.Path.of("src/test/resources/chat-templates");
        java.util.Map<String, ToolCallFormat> expected = java.util.Map.of(
                "qwen2.5", ToolCallFormat.HERMES, "qwen3", ToolCallFormat.HERMES,
                "llama3.2", ToolCallFormat.LLAMA3_JSON, "smollm2", ToolCallFormat.NONE,
                "gemma2", ToolCallFormat.NONE, "phi3.5", ToolCallFormat.NONE, "tinyllama", ToolCallFormat.NONE,
                "mistral-v0.1", ToolCallFormat.NONE, "deepseek-r1-distill-qwen", ToolCallFormat.NONE);
        for (java.util.Map.Entry<String, ToolCallFormat> e : expected.entrySet()) {
            String template = java.nio.file.Files.readString(dir.resolve(e.getKey() + ".jinja"));
            assertEquals(e.getValue(), ToolCallFormat.detect(template), e.getKey());
        }
    }

    @Test
    void theFormatIsReadFromTheTemplate() {
        assertEquals(ToolCallFormat.HERMES, ToolCallFormat.detect(
                "{{- '<tool_call>\\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\\n</tool_call>' }}"));
        assertEquals(ToolCallFormat.MISTRAL, ToolCallFormat.detect("{{- \"[TOOL_CALLS] [\" }}"));
        assertEquals(ToolCallFormat.LLAMA3_JSON, ToolCallFormat.detect("{{- 'Respond in the format {\"name\": function "
                + "name, \"parameters\": dictionary of argument name and its value}.' }}"));
        assertEquals(ToolCallFormat.LLAMA3_JSON, ToolCallFormat.detect("{{- '<|python_tag|>' + tool_call.name }}"));
        assertEquals(ToolCallFormat.NONE, ToolCallFormat.detect("{% for m in messages %}{{ m.content }}{% endfor %}"));
        assertEquals(ToolCallFormat.NONE, ToolCallFormat.detect(null));
        assertEquals(ToolCallFormat.MISTRAL, ToolCallFormat.fromId("Mistral"));
        assertEquals(ReasoningFormat.QWEN3, ReasoningFormat.fromId("qwen3"));
    }
}
