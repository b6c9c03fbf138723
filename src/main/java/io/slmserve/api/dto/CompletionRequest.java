package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** OpenAI {@code POST /v1/completions} body, with the vLLM extras. */
@Schema(name = "CompletionRequest")
public record CompletionRequest(
        @Schema(example = "nano-gpt") String model,
        @Schema(description = "A string, or an array holding one string", example = "In the beginning",
                oneOf = {String.class, String[].class}) JsonNode prompt,
        @JsonProperty("max_tokens") @Schema(description = "Default 16", example = "32") Integer maxTokens,
        @Schema(description = "Default 1; 0 is greedy", example = "0.7") Double temperature,
        @JsonProperty("top_p") Double topP,
        @Schema(description = "Choices to generate (1-16)") Integer n,
        Boolean stream,
        @JsonProperty("stream_options") StreamOptions streamOptions,
        @Schema(description = "A string or up to 4 strings", oneOf = {String.class, String[].class}) JsonNode stop,
        Long seed,
        @Schema(description = "Report log-probabilities with this many alternatives (0-20)") Integer logprobs,
        Boolean echo,
        @JsonProperty("presence_penalty") Double presencePenalty,
        @JsonProperty("frequency_penalty") Double frequencyPenalty,
        String user,
        @JsonProperty("top_k") @Schema(description = "vLLM extra") Integer topK,
        @JsonProperty("min_p") @Schema(description = "vLLM extra") Double minP,
        @JsonProperty("min_tokens") @Schema(description = "vLLM extra") Integer minTokens,
        @JsonProperty("repetition_penalty") @Schema(description = "vLLM extra") Double repetitionPenalty,
        @JsonProperty("stop_token_ids") @Schema(description = "vLLM extra") List<Long> stopTokenIds,
        @JsonProperty("ignore_eos") @Schema(description = "vLLM extra") Boolean ignoreEos,
        @JsonProperty("logit_bias") @Schema(description = "Token id (as a string) -> bias in [-100, 100] added to "
                + "its logit") Map<String, Double> logitBias,
        @JsonProperty("best_of") @Schema(description = "Must equal n when given (every choice is returned)")
        Integer bestOf,
        @JsonProperty("num_beams") @Schema(description = "Extra: beam search width (1-16, default 1); greedy unless "
                + "temperature is given; n must be 1; a stream sends the best beam's tokens once the search ends",
                example = "4") Integer numBeams,
        @JsonProperty("length_penalty") @Schema(description = "Extra, beam search: a finished beam scores "
                + "sum(logprob) / length^length_penalty (default 1)") Double lengthPenalty,
        @JsonProperty("early_stopping") @Schema(description = "Extra, beam search: stop once num_beams hypotheses "
                + "are finished (default false: once no live beam can beat them), as Hugging Face")
        Boolean earlyStopping,
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
}
