package io.slmserve.chat;

import java.util.List;
import java.util.Map;

/**
 * What a chat template sees, as transformers' apply_chat_template passes it.
 *
 * @param messages            the conversation: maps with role, content (a string or a list of parts), and where
 *                            present tool_calls ([{id, type, function: {name, arguments (an object)}}]),
 *                            tool_call_id, name, reasoning_content
 * @param tools               JSON-schema tool definitions ([{type: function, function: {...}}]), or null
 * @param documents           retrieval documents, or null
 * @param addGenerationPrompt whether the prompt ends with the assistant turn's opening
 * @param bosToken            the tokenizer's bos_token text ("" when none)
 * @param eosToken            the tokenizer's eos_token text ("" when none)
 * @param extraKwargs         a request's chat_template_kwargs (e.g. enable_thinking); may set bos_token or
 *                            eos_token, not messages, tools, documents or add_generation_prompt
 */
public record ChatContext(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                          List<Map<String, Object>> documents, boolean addGenerationPrompt, String bosToken,
                          String eosToken, Map<String, Object> extraKwargs) {

    public ChatContext {
        messages = messages == null ? List.of() : messages;
        bosToken = bosToken == null ? "" : bosToken;
        eosToken = eosToken == null ? "" : eosToken;
        extraKwargs = extraKwargs == null ? Map.of() : extraKwargs;
    }
}
