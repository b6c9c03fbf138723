package io.slmserve.inference;

import java.util.List;
import java.util.Map;

/**
 * A conversation to render with the model's chat template, as the client sent it.
 *
 * @param messages            maps with role, content (a string; text parts are joined), and where present
 *                            name, tool_calls (function arguments as objects), tool_call_id, reasoning_content
 * @param tools               OpenAI tool definitions, or null
 * @param templateKwargs      the request's chat_template_kwargs (e.g. enable_thinking), or empty
 * @param addGenerationPrompt whether the prompt ends with the assistant turn's opening (always for chat
 *                            completions; /tokenize lets the caller choose)
 */
public record ChatInput(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                        Map<String, Object> templateKwargs, boolean addGenerationPrompt) {

    public ChatInput {
        messages = messages == null ? List.of() : messages;
        templateKwargs = templateKwargs == null ? Map.of() : templateKwargs;
    }

    /** A chat-completions conversation: the generation prompt is added. */
    public ChatInput(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                     Map<String, Object> templateKwargs) {
        this(messages, tools, templateKwargs, true);
    }
}
