package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** OpenAI {@code POST /v1/chat/completions} body, with the vLLM extras. */
@Schema(name = "ChatCompletionRequest")
public record ChatCompletionRequest(
        @Schema(example = "nano-gpt") String model,
        @Schema(description = "The conversation; content is a string or an array of text parts") List<Message> messages,
        @JsonProperty("max_tokens") @Schema(description = "Default: up to the model's max_total_tokens") Integer maxTokens,
        @JsonProperty("max_completion_tokens") @Schema(description = "Newer name of max_tokens")
        Integer maxCompletionTokens,
        @Schema(description = "Default 1; 0 is greedy") Double temperature,
        @JsonProperty("top_p") Double topP,
        Integer n,
        Boolean stream,
        @JsonProperty("stream_options") StreamOptions streamOptions,
        @Schema(description = "A string or up to 4 strings", oneOf = {String.class, String[].class}) JsonNode stop,
        Long seed,
        Boolean logprobs,
        @JsonProperty("top_logprobs") Integer topLogprobs,
        @JsonProperty("presence_penalty") Double presencePenalty,
        @JsonProperty("frequency_penalty") Double frequencyPenalty,
        String user,
        @JsonProperty("top_k") Integer topK,
        @JsonProperty("min_p") Double minP,
        @JsonProperty("min_tokens") Integer minTokens,
        @JsonProperty("repetition_penalty") Double repetitionPenalty,
        @JsonProperty("stop_token_ids") List<Long> stopTokenIds,
        @JsonProperty("ignore_eos") Boolean ignoreEos,
        @JsonProperty("logit_bias") @Schema(description = "Token id (as a string) -> bias in [-100, 100] added to "
                + "its logit") Map<String, Double> logitBias,
        @Schema(description = "Functions the model may call: [{type: function, function: {name, description?, "
                + "parameters: a JSON schema object}}], rendered by the model's chat template")
        List<JsonNode> tools,
        @JsonProperty("tool_choice") @Schema(description = "none (tools are not rendered), auto (default with "
                + "tools), required, or {type: function, function: {name}} naming a declared tool",
                oneOf = {String.class, Map.class}) JsonNode toolChoice,
        @JsonProperty("parallel_tool_calls") @Schema(description = "Default true; false keeps the first call only")
        Boolean parallelToolCalls,
        @JsonProperty("chat_template_kwargs") @Schema(description = "Extra variables for the model's chat template, "
                + "e.g. {\"enable_thinking\": false} for Qwen3 (vLLM's extension)", nullable = true)
        Map<String, Object> chatTemplateKwargs,
        @JsonProperty("response_format") @Schema(description = "{\"type\": \"text\"}, {\"type\": \"json_object\"} or "
                + "{\"type\": \"json_schema\", \"json_schema\": {\"name\", \"schema\", \"strict\"}}: the output is "
                + "constrained token by token to match") JsonNode responseFormat,
        @JsonProperty("guided_json") @Schema(description = "vLLM extra: a JSON schema (object or JSON text) the output "
                + "must match") JsonNode guidedJson,
        @JsonProperty("guided_regex") @Schema(description = "vLLM extra: a regular expression the whole output must "
                + "match") String guidedRegex,
        @JsonProperty("guided_choice") @Schema(description = "vLLM extra: the output is exactly one of these strings")
        List<String> guidedChoice,
        @JsonProperty("structured_outputs") @Schema(description = "vLLM extra: {\"json\": schema} or {\"regex\": ...} "
                + "or {\"choice\": [...]}") JsonNode structuredOutputs) {

    /** One chat message. */
    @Schema(name = "ChatMessage")
    public record Message(@Schema(example = "user") String role,
                          @Schema(example = "Blessed are the meek", oneOf = {String.class, Object[].class})
                          JsonNode content,
                          String name,
                          @JsonProperty("tool_calls") @Schema(description = "An assistant turn's calls: [{id, type: "
                                  + "function, function: {name, arguments (a JSON string)}}]") List<JsonNode> toolCalls,
                          @JsonProperty("tool_call_id") @Schema(description = "A tool message: the call it answers")
                          String toolCallId) {
    }
}
