package io.slmserve.api.dto;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Native {@code POST /generate} and {@code /generate_stream} body, with Hugging Face TGI names. */
@Schema(name = "GenerateRequest")
public record GenerateRequest(
        @Schema(description = "The prompt; for an encoder-decoder (text2text-generation) model, the source text",
                example = "In the beginning") String inputs,
        @Schema(description = "Generation parameters; all optional") Parameters parameters,
        @Schema(description = "Model id; optional when one text-generation model is loaded (or, without one, a single "
                + "text2text-generation model)", example = "nano-gpt")
        String model,
        @Schema(description = "Accepted for TGI compatibility; /generate_stream streams, /generate does not")
        Boolean stream) {

    /** TGI's generation parameters. Sampling is on when do_sample is true, or when it is absent and any of
     * temperature, top_k, top_p, typical_p or seed is given; temperature 0 is greedy. */
    @Schema(name = "GenerateParameters")
    public record Parameters(
            @JsonProperty("max_new_tokens") @Schema(example = "40", description = "Default 100") Integer maxNewTokens,
            @Schema(example = "0.8") Double temperature,
            @JsonProperty("top_k") @Schema(example = "50") Integer topK,
            @JsonProperty("top_p") @Schema(example = "0.95") Double topP,
            @JsonProperty("typical_p") Double typicalP,
            @JsonProperty("min_p") @Schema(description = "vLLM extra") Double minP,
            @JsonProperty("repetition_penalty") @Schema(example = "1.1") Double repetitionPenalty,
            @JsonProperty("frequency_penalty") Double frequencyPenalty,
            @JsonProperty("do_sample") Boolean doSample,
            @Schema(example = "42") Long seed,
            @Schema(description = "Up to 4 stop strings, excluded from the output") List<String> stop,
            @JsonProperty("return_full_text") @Schema(description = "Prefix the prompt to generated_text")
            Boolean returnFullText,
            @Schema(description = "Add details (finish reason, tokens, seed) to the response") Boolean details,
            @JsonProperty("top_n_tokens") @Schema(description = "Alternatives reported per token (0-20)")
            Integer topNTokens,
            @JsonProperty("decoder_input_details") @Schema(description = "Accepted and ignored") Boolean decoderInputDetails,
            @Schema(description = "Accepted and ignored") Boolean watermark,
            @Schema(description = "Accepted; truncation is not supported, an over-long prompt is a 422") Integer truncate,
            @JsonProperty("num_beams") @Schema(description = "Beam search width (1-16, default 1 = greedy or "
                    + "sampling); excludes sampling, stop, penalties and top_n_tokens; /generate_stream sends the "
                    + "best beam's tokens once the search ends", example = "4") Integer numBeams,
            @JsonProperty("length_penalty") @Schema(description = "Beam search: a finished beam scores "
                    + "sum(logprob) / length^length_penalty (default 1)") Double lengthPenalty,
            @JsonProperty("early_stopping") @Schema(description = "Beam search: stop once num_beams hypotheses are "
                    + "finished (default false: once no live beam can beat them), as Hugging Face")
            Boolean earlyStopping,
            @Schema(description = "Constrain the output: {\"type\": \"json\", \"value\": JSON schema} or "
                    + "{\"type\": \"regex\", \"value\": \"...\"}") com.fasterxml.jackson.databind.JsonNode grammar,
            @JsonProperty("adapter_id") @Schema(description = "A LoRA adapter of the model (GET /models/{id} lists "
                    + "them); unknown: 404", example = "psalms") String adapterId) {
    }
}
