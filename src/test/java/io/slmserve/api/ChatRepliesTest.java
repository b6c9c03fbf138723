package io.slmserve.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.api.dto.ChatCompletionResponse.Delta;
import io.slmserve.api.dto.ChatCompletionResponse.Message;
import io.slmserve.tools.ReasoningFormat;
import io.slmserve.tools.ToolCallFormat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Qwen-style reply (text, then two Hermes calls) mapped to OpenAI's shapes: the message (content, tool_calls with
 * call_ ids and arguments as JSON text, finish_reason tool_calls) and the stream (content deltas, then per call a
 * delta with index, id, type and name and arguments "", then one with its arguments), as OpenAI streams calls.
 */
class ChatRepliesTest {

    private static final String REPLY = "Checking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
            + "{\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2}}\n"
            + "</tool_call>";

    private static ChatReplies replies(ToolChoice choice, Boolean parallel) {
        ChatReplies r = new ChatReplies(choice, parallel);
        r.formats(ToolCallFormat.HERMES, ReasoningFormat.NONE);
        return r;
    }

    @Test
    void aWholeReplyBecomesAMessageWithToolCalls() {
        Message m = replies(ToolChoice.AUTO, null).message(REPLY);
        assertEquals("Checking.\n", m.content());
        assertEquals(2, m.toolCalls().size());
        assertEquals("get_weather", m.toolCalls().get(0).function().name());
        assertEquals("{\"city\":\"Paris\"}", m.toolCalls().get(0).function().arguments());
        assertEquals("function", m.toolCalls().get(0).type());
        assertNull(m.toolCalls().get(0).index(), "a message's calls carry no index");
        assertEquals("tool_calls", ChatReplies.finishReason("stop", m));
        assertEquals("length", ChatReplies.finishReason("length", m));

        Message first = replies(ToolChoice.AUTO, false).message(REPLY);
        assertEquals(1, first.toolCalls().size(), "parallel_tool_calls false keeps the first call");
        Message none = replies(ToolChoice.NONE, null).message(REPLY);
        assertEquals(REPLY, none.content(), "tool_choice none parses nothing");
        assertNull(none.toolCalls());
        assertEquals("stop", ChatReplies.finishReason("stop", none));
    }

    @Test
    void aStreamSendsOpenAiToolCallDeltas() {
        ChatReplies r = replies(ToolChoice.REQUIRED, null);
        List<Delta> deltas = new ArrayList<>();
        // Pieces as a tokenizer might cut them, markers split across tokens.
        for (String piece : REPLY.split("(?<=[<>{}\\n])")) {
            deltas.addAll(r.feed(0, piece));
        }
        deltas.addAll(r.finish(0));
        StringBuilder content = new StringBuilder();
        List<Delta> calls = new ArrayList<>();
        for (Delta d : deltas) {
            if (d.content() != null) {
                content.append(d.content());
            }
            if (d.toolCalls() != null) {
                calls.add(d);
            }
        }
        assertEquals("Checking.\n", content.toString());
        assertEquals(4, calls.size());
        var head = calls.get(0).toolCalls().get(0);
        assertEquals(0, head.index());
        assertTrue(head.id().startsWith("call_"));
        assertEquals("function", head.type());
        assertEquals("get_weather", head.function().name());
        assertEquals("", head.function().arguments());
        var args = calls.get(1).toolCalls().get(0);
        assertEquals(0, args.index());
        assertNull(args.id());
        assertNull(args.function().name());
        assertEquals("{\"city\":\"Paris\"}", args.function().arguments());
        assertEquals(1, calls.get(2).toolCalls().get(0).index());
        assertEquals("add", calls.get(2).toolCalls().get(0).function().name());
        assertEquals("{\"a\":2}", calls.get(3).toolCalls().get(0).function().arguments());
        assertEquals("tool_calls", r.finishReason(0, "stop"));
    }
}
