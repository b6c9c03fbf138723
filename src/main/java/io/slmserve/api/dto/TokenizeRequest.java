package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * TEI-style {@code POST /tokenize} body ({@code inputs}), or a conversation ({@code messages}) to render with the
 * model's chat template and tokenize, as vLLM's /tokenize and TGI's /chat_tokenize do.
 */
@Schema(name = "TokenizeRequest")
public record TokenizeRequest(
        @Schema(description = "A string or an array of strings (give inputs or messages)",
                oneOf = {String.class, String[].class}, example = "\"Hello world!\"")
        JsonNode inputs,
        @Schema(description = "Cut at the model's max_input_tokens instead of failing (default false)", nullable = true)
        Boolean truncate,
        @Schema(description = "Model id; optional when one model is loaded", nullable = true)
        String model,
        @Schema(description = "A chat conversation, as for /v1/chat/completions: the answer is the prompt the "
                + "model's chat template renders and its token ids", nullable = true)
        List<ChatCompletionRequest.Message> messages,
        @Schema(description = "Tool definitions passed to the chat template", nullable = true)
        List<Map<String, Object>> tools,
        @JsonProperty("add_generation_prompt")
        @Schema(description = "End with the assistant turn's opening (default true)", nullable = true)
        Boolean addGenerationPrompt,
        @JsonProperty("chat_template_kwargs")
        @Schema(description = "Extra chat template variables, e.g. {\"enable_thinking\": false}", nullable = true)
        Map<String, Object> chatTemplateKwargs) {

    /** An {@code inputs} request. */
    public TokenizeRequest(JsonNode inputs, Boolean truncate, String model) {
        this(inputs, truncate, model, null, null, null, null);
    }
}
