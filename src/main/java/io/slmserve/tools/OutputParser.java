package io.slmserve.tools;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits one reply, fed as it is generated, into reasoning, content and tool calls. Text that may be the start of
 * a marker ({@code <tool_call>}, {@code </think>}, ...) is held back until the next piece decides; a tool call is
 * released once complete (Hermes: at {@code </tool_call>}; Mistral and Llama 3, whose calls run to the end of the
 * reply: at {@link #finish}). A call whose JSON is malformed is released as content, as it was written. One
 * instance per reply; not thread-safe.
 */
public final class OutputParser {

    private static final String PYTHON_TAG = "<|python_tag|>";
    private static final String HERMES_CLOSE = "</tool_call>";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHANUMERIC =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".toCharArray();

    private enum Stage { START, REASONING, CONTENT_START, CONTENT, TOOL }

    private final ToolCallFormat tools;
    private final ReasoningFormat reasoning;
    private final StringBuilder pending = new StringBuilder();
    private Stage stage = Stage.START;
    private int calls;

    public OutputParser(ToolCallFormat tools, ReasoningFormat reasoning) {
        this.tools = tools;
        this.reasoning = reasoning;
    }

    /** Whether the reply has made at least one tool call so far. */
    public boolean calledTools() {
        return calls > 0;
    }

    /** The deltas that the text generated so far releases. */
    public List<OutputDelta> feed(String text) {
        pending.append(text);
        List<OutputDelta> out = new ArrayList<>();
        while (step(out)) {
            // each step consumes pending text or changes stage, until it must wait for more
        }
        return out;
    }

    /** The reply ended: releases what was held back. */
    public List<OutputDelta> finish() {
        List<OutputDelta> out = new ArrayList<>();
        String rest = pending.toString();
        pending.setLength(0);
        switch (stage) {
            case REASONING -> emit(out, new OutputDelta.Reasoning(rest));
            case TOOL -> tool(out, rest, true);
            default -> {
                // Whitespace between or after calls is layout, not a reply.
                if (!(calls > 0 && rest.isBlank())) {
                    emit(out, new OutputDelta.Content(rest));
                }
            }
        }
        return out;
    }

    private boolean step(List<OutputDelta> out) {
        String text = pending.toString();
        switch (stage) {
            case START -> {
                if (reasoning == ReasoningFormat.NONE) {
                    stage = Stage.CONTENT_START;
                } else if (text.startsWith(ReasoningFormat.OPEN)) {
                    pending.delete(0, ReasoningFormat.OPEN.length());
                    stage = Stage.REASONING;
                } else if (ReasoningFormat.OPEN.startsWith(text)) {
                    return false;
                } else {
                    stage = reasoning == ReasoningFormat.DEEPSEEK_R1 ? Stage.REASONING : Stage.CONTENT_START;
                }
                return true;
            }
            case REASONING -> {
                int close = text.indexOf(ReasoningFormat.CLOSE);
                if (close >= 0) {
                    emit(out, new OutputDelta.Reasoning(text.substring(0, close)));
                    pending.delete(0, close + ReasoningFormat.CLOSE.length());
                    stage = Stage.CONTENT_START;
                    return true;
                }
                release(out, text, ReasoningFormat.CLOSE, true);
                return false;
            }
            case CONTENT_START -> {
                if (tools != ToolCallFormat.LLAMA3_JSON) {
                    stage = Stage.CONTENT;
                    return true;
                }
                // Llama 3 answers either with text or, from its first character, with the call's JSON.
                String head = text.stripLeading();
                if (head.isEmpty() || PYTHON_TAG.startsWith(head)) {
                    return false;
                }
                stage = head.startsWith("{") || head.startsWith(PYTHON_TAG) ? Stage.TOOL : Stage.CONTENT;
                return true;
            }
            case CONTENT -> {
                String marker = tools == ToolCallFormat.HERMES || tools == ToolCallFormat.MISTRAL ? tools.marker() : null;
                int at = marker == null ? -1 : text.indexOf(marker);
                if (at >= 0) {
                    String before = text.substring(0, at);
                    if (!(calls > 0 && before.isBlank())) {
                        emit(out, new OutputDelta.Content(before));
                    }
                    pending.delete(0, at);
                    stage = Stage.TOOL;
                    return true;
                }
                // After a call, layout whitespace waits: it is dropped if only another call follows.
                if (calls > 0 && text.substring(0, text.length() - heldBack(text, marker)).isBlank()) {
                    return false;
                }
                release(out, text, marker, false);
                return false;
            }
            case TOOL -> {
                if (tools != ToolCallFormat.HERMES) {
                    return false;
                }
                int close = text.indexOf(HERMES_CLOSE);
                if (close < 0) {
                    return false;
                }
                int end = close + HERMES_CLOSE.length();
                tool(out, text.substring(0, end), false);
                pending.delete(0, end);
                stage = Stage.CONTENT;
                return true;
            }
            default -> throw new IllegalStateException(stage.name());
        }
    }

    /** Emits all of {@code text} but its longest tail that could begin {@code marker}, which stays pending. */
    private void release(List<OutputDelta> out, String text, String marker, boolean asReasoning) {
        int keep = heldBack(text, marker);
        String free = text.substring(0, text.length() - keep);
        emit(out, asReasoning ? new OutputDelta.Reasoning(free) : new OutputDelta.Content(free));
        pending.delete(0, free.length());
    }

    private static int heldBack(String text, String marker) {
        if (marker == null) {
            return 0;
        }
        for (int n = Math.min(text.length(), marker.length() - 1); n > 0; n--) {
            if (marker.startsWith(text.substring(text.length() - n))) {
                return n;
            }
        }
        return 0;
    }

    /** Parses one tool segment (with its markers); a malformed one becomes content, unchanged. */
    private void tool(List<OutputDelta> out, String segment, boolean atEnd) {
        List<ToolCallJson.Call> parsed = switch (tools) {
            case HERMES -> hermes(segment, atEnd);
            case MISTRAL -> ToolCallJson.array(segment.substring(tools.marker().length()));
            case LLAMA3_JSON -> {
                String body = segment.stripLeading();
                yield ToolCallJson.sequence(body.startsWith(PYTHON_TAG) ? body.substring(PYTHON_TAG.length()) : body);
            }
            case NONE -> null;
        };
        if (parsed == null) {
            emit(out, new OutputDelta.Content(segment));
            return;
        }
        for (ToolCallJson.Call c : parsed) {
            out.add(new OutputDelta.ToolCall(calls++, id(), c.name(), c.arguments()));
        }
    }

    /** {@code <tool_call>JSON</tool_call>}, or at the end of the reply an unclosed {@code <tool_call>JSON}. */
    private static List<ToolCallJson.Call> hermes(String segment, boolean atEnd) {
        String body = segment.substring(ToolCallFormat.HERMES.marker().length());
        if (body.endsWith(HERMES_CLOSE)) {
            body = body.substring(0, body.length() - HERMES_CLOSE.length());
        } else if (!atEnd) {
            return null;
        }
        ToolCallJson.Call c = ToolCallJson.one(body);
        return c == null ? null : List.of(c);
    }

    /** Mistral's templates require 9 alphanumerics; OpenAI's ids are call_ and 24. */
    private String id() {
        boolean mistral = tools == ToolCallFormat.MISTRAL;
        StringBuilder sb = new StringBuilder(mistral ? "" : "call_");
        for (int i = 0; i < (mistral ? 9 : 24); i++) {
            sb.append(ALPHANUMERIC[RANDOM.nextInt(ALPHANUMERIC.length)]);
        }
        return sb.toString();
    }

    private static void emit(List<OutputDelta> out, OutputDelta delta) {
        String text = delta instanceof OutputDelta.Content c ? c.text()
                : delta instanceof OutputDelta.Reasoning r ? r.text() : null;
        if (text == null || !text.isEmpty()) {
            out.add(delta);
        }
    }
}
