package io.slmserve.api;

import io.slmserve.api.dto.ChatCompletionResponse.Delta;
import io.slmserve.api.dto.ChatCompletionResponse.Function;
import io.slmserve.api.dto.ChatCompletionResponse.Message;
import io.slmserve.api.dto.ChatCompletionResponse.ToolCall;
import io.slmserve.tools.OutputDelta;
import io.slmserve.tools.OutputParser;
import io.slmserve.tools.ParsedReply;
import io.slmserve.tools.ReasoningFormat;
import io.slmserve.tools.ToolCallFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a chat reply's text into OpenAI's message or stream deltas: plain content, or, when the request declared
 * tools (and tool_choice is not none) or the model has a reasoning format, content, {@code reasoning_content} and
 * {@code tool_calls} split as {@link OutputParser} splits them. A streamed call is sent as OpenAI sends one: a
 * delta with its index, id, type and name (arguments ""), then its arguments. With parallel_tool_calls false only
 * the first call is kept. One instance per request.
 */
final class ChatReplies {

    private final boolean toolsDeclared;
    private final boolean parallel;
    /** A forced call's reply is only the call (the constraint leaves no room for thinking): no reasoning split. */
    private final boolean forced;
    private volatile ToolCallFormat tools = ToolCallFormat.NONE;
    private volatile ReasoningFormat reasoning = ReasoningFormat.NONE;
    private final Map<Integer, OutputParser> parsers = new HashMap<>();

    /** A request without tools parses no calls; one with tool_choice none renders none and parses none. */
    ChatReplies(ToolChoice choice, Boolean parallelToolCalls) {
        this.toolsDeclared = choice.parsesCalls();
        this.parallel = !Boolean.FALSE.equals(parallelToolCalls);
        this.forced = choice.forces();
    }

    /** The answering model's formats, known once the model is resolved (before any event). */
    void formats(ToolCallFormat modelTools, ReasoningFormat modelReasoning) {
        this.tools = toolsDeclared ? modelTools : ToolCallFormat.NONE;
        this.reasoning = forced ? ReasoningFormat.NONE : modelReasoning;
    }

    private boolean splitting() {
        return tools != ToolCallFormat.NONE || reasoning != ReasoningFormat.NONE;
    }

    /** The whole reply as a message, and its finish reason. */
    Message message(String text) {
        if (!splitting()) {
            return new Message("assistant", text, null, null);
        }
        ParsedReply reply = ParsedReply.parse(text, tools, reasoning);
        List<ToolCall> calls = new ArrayList<>();
        for (OutputDelta.ToolCall c : reply.toolCalls()) {
            if (parallel || c.index() == 0) {
                calls.add(new ToolCall(null, c.id(), "function", new Function(c.name(), c.arguments())));
            }
        }
        String content = reply.content() == null && calls.isEmpty() && reply.reasoning() == null ? "" : reply.content();
        return new Message("assistant", content, reply.reasoning(), calls.isEmpty() ? null : calls);
    }

    /** OpenAI's finish reason: "tool_calls" when a reply that stopped by itself called tools. */
    static String finishReason(String reason, Message message) {
        return message.toolCalls() != null && "stop".equals(reason) ? "tool_calls" : reason;
    }

    /** The deltas one generated piece of text releases for a streamed choice. */
    List<Delta> feed(int index, String text) {
        if (!splitting()) {
            return text.isEmpty() ? List.of() : List.of(new Delta(null, text));
        }
        return deltas(parser(index).feed(text));
    }

    /** The deltas held back until the choice ended. */
    List<Delta> finish(int index) {
        return splitting() ? deltas(parser(index).finish()) : List.of();
    }

    /** The streamed finish reason. */
    String finishReason(int index, String reason) {
        boolean called = splitting() && parser(index).calledTools();
        return called && "stop".equals(reason) ? "tool_calls" : reason;
    }

    private synchronized OutputParser parser(int index) {
        return parsers.computeIfAbsent(index, i -> new OutputParser(tools, reasoning));
    }

    private List<Delta> deltas(List<OutputDelta> parsed) {
        List<Delta> out = new ArrayList<>();
        for (OutputDelta d : parsed) {
            if (d instanceof OutputDelta.Content c) {
                out.add(new Delta(null, c.text()));
            } else if (d instanceof OutputDelta.Reasoning r) {
                out.add(new Delta(null, null, r.text(), null));
            } else if (d instanceof OutputDelta.ToolCall c && (parallel || c.index() == 0)) {
                out.add(new Delta(null, null, null, List.of(new ToolCall(c.index(), c.id(), "function",
                        new Function(c.name(), "")))));
                out.add(new Delta(null, null, null, List.of(new ToolCall(c.index(), null, null,
                        new Function(null, c.arguments())))));
            }
        }
        return out;
    }
}
