package io.slmserve.api;

/**
 * A chat request's tool_choice. {@code none} leaves the tools out of the prompt (as vLLM does), so the model
 * answers in words; {@code auto}, {@code required} and a named function render them and parse the reply's calls.
 * Required and a named function also force the call: the reply is constrained to the model's tool-call format
 * (see ForcedToolCalls), so it can hold no content or reasoning.
 *
 * @param mode     none, auto, required or function
 * @param function the function a named choice names, else null
 */
record ToolChoice(String mode, String function) {

    static final ToolChoice NONE = new ToolChoice("none", null);
    static final ToolChoice AUTO = new ToolChoice("auto", null);
    static final ToolChoice REQUIRED = new ToolChoice("required", null);

    static ToolChoice named(String function) {
        return new ToolChoice("function", function);
    }

    /** required or a named function: the reply must be a call. */
    boolean forces() {
        return mode.equals("required") || mode.equals("function");
    }

    boolean parsesCalls() {
        return this != NONE && !mode.equals("none");
    }
}
