package io.slmserve.tools;

import java.util.ArrayList;
import java.util.List;

/**
 * A whole reply split as {@link OutputParser} splits a stream of it.
 *
 * @param content   the visible text, or null when there is none (only tool calls, or only reasoning)
 * @param reasoning the thinking, or null when the model did not think (or no reasoning format is set)
 * @param toolCalls the calls, in order; empty when none
 */
public record ParsedReply(String content, String reasoning, List<OutputDelta.ToolCall> toolCalls) {

    public static ParsedReply parse(String text, ToolCallFormat tools, ReasoningFormat reasoning) {
        OutputParser parser = new OutputParser(tools, reasoning);
        List<OutputDelta> deltas = new ArrayList<>(parser.feed(text));
        deltas.addAll(parser.finish());
        StringBuilder content = new StringBuilder();
        StringBuilder thinking = null;
        List<OutputDelta.ToolCall> calls = new ArrayList<>();
        for (OutputDelta d : deltas) {
            if (d instanceof OutputDelta.Content c) {
                content.append(c.text());
            } else if (d instanceof OutputDelta.Reasoning r) {
                thinking = (thinking == null ? new StringBuilder() : thinking).append(r.text());
            } else if (d instanceof OutputDelta.ToolCall call) {
                calls.add(call);
            }
        }
        // With calls, text around them that is only layout is no reply; a reasoning-only reply has no content.
        String visible = content.isEmpty() || (!calls.isEmpty() || thinking != null) && content.toString().isBlank()
                ? null : content.toString();
        return new ParsedReply(visible, thinking == null ? null : thinking.toString(), List.copyOf(calls));
    }
}
