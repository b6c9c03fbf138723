package io.slmserve.tools;

/** One piece of a parsed reply, in the order the model wrote it. */
public sealed interface OutputDelta {

    /** Visible reply text. */
    record Content(String text) implements OutputDelta {
    }

    /** Thinking text, for {@code reasoning_content}. */
    record Reasoning(String text) implements OutputDelta {
    }

    /**
     * A complete tool call.
     *
     * @param index     its position among the reply's calls, from 0
     * @param id        a fresh id the client echoes in the tool message's tool_call_id
     * @param name      the function's name
     * @param arguments the arguments as a JSON text (an object)
     */
    record ToolCall(int index, String id, String name, String arguments) implements OutputDelta {
    }
}
