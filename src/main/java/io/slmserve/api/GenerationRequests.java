package io.slmserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.slmserve.api.dto.ChatCompletionRequest;
import io.slmserve.api.dto.CompletionRequest;
import io.slmserve.api.dto.GenerateRequest;
import io.slmserve.core.Deadline;
import io.slmserve.core.GenerationDefaults.Field;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.ServingException;
import io.slmserve.inference.ChatInput;
import io.slmserve.inference.GenerationQuery;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps the three generation APIs' bodies onto one {@link GenerationQuery}, with each API's defaults: TGI
 * generates up to 100 tokens (fewer when the model's limits leave less room) greedily unless asked to sample;
 * OpenAI samples at temperature 1 and completions stop after 16 tokens; chat runs to the model's limit. Every bad
 * value is a 400 that names its field.
 *
 * <p>Each query also lists the parameters its request left unset, where the model's generation_config.json
 * defaults replace the API's (as vLLM does). TGI's /generate stays greedy unless the request samples: its
 * do_sample defaults to false whatever the model says, so a TGI client's unset do_sample keeps meaning
 * deterministic output; a request that samples takes the model's temperature, top_p and top_k where it gives none.
 */
final class GenerationRequests {

    static final int TGI_DEFAULT_MAX_NEW_TOKENS = 100;
    static final int OPENAI_COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

    private GenerationRequests() {
    }

    static GenerationQuery tgi(GenerateRequest body, String endpoint) {
        if (body == null) {
            throw ServingException.invalid(null, "a JSON body is required");
        }
        if (body.inputs() == null) {
            throw ServingException.invalid("inputs", "'inputs' is required");
        }
        GenerateRequest.Parameters p = body.parameters() != null ? body.parameters()
                : new GenerateRequest.Parameters(null, null, null, null, null, null, null, null, null, null, null, null,
                        null, null, null, null, null, null, null, null, null, null);
        boolean sample = p.doSample() != null ? p.doSample()
                : p.temperature() != null || p.topK() != null || p.topP() != null || p.typicalP() != null
                        || p.seed() != null;
        if (p.temperature() != null && p.temperature() == 0) {
            sample = false;
        }
        GenerationParams.Builder b = GenerationParams.builder()
                .maxNewTokens(p.maxNewTokens())
                .sample(sample)
                .seed(p.seed())
                .stop(p.stop())
                .logprobs(true)
                .topNTokens(p.topNTokens() != null ? p.topNTokens() : 0);
        if (sample && p.temperature() != null) {
            b.temperature(p.temperature());
        }
        optional(b, p.topK(), p.topP(), p.minP(), p.typicalP(), p.repetitionPenalty(), null, p.frequencyPenalty());
        beams(b, p.numBeams(), p.lengthPenalty(), p.earlyStopping());
        Set<Field> unset = common(p.maxNewTokens(), p.topK(), p.topP(), p.minP(), p.repetitionPenalty());
        if (sample && p.temperature() == null) {
            unset.add(Field.TEMPERATURE);
        }
        // TGI's default of 100 new tokens shrinks to what the model leaves room for (a seq2seq model may allow fewer).
        return new GenerationQuery(body.model(), body.inputs(), null, b.build(), 1, endpoint, Deadline.NONE,
                TGI_DEFAULT_MAX_NEW_TOKENS, unset, ResponseFormats.grammar(p.grammar()), p.adapterId());
    }

    static GenerationQuery completion(CompletionRequest body) {
        if (body == null) {
            throw ServingException.invalid(null, "a JSON body is required");
        }
        String prompt = prompt(body.prompt());
        int topLogprobs = body.logprobs() == null ? 0 : body.logprobs();
        // A beam search is deterministic: without an explicit temperature it runs greedy rather than at 1.
        Double temperature = body.temperature() == null && body.numBeams() != null && body.numBeams() > 1
                ? Double.valueOf(0) : body.temperature();
        GenerationParams params = openAi(body.maxTokens() != null ? body.maxTokens()
                        : OPENAI_COMPLETIONS_DEFAULT_MAX_TOKENS, temperature, body.seed(), body.stop(),
                body.logprobs() != null, topLogprobs, body.minTokens(), body.stopTokenIds(), body.ignoreEos())
                .build();
        if (body.bestOf() != null && !body.bestOf().equals(choices(body.n()))) {
            throw ServingException.invalid("best_of", "best_of must equal n (" + choices(body.n())
                    + "): every generated choice is returned, none is ranked away");
        }
        GenerationParams.Builder b = params.toBuilder().logitBias(logitBias(body.logitBias()));
        optional(b, body.topK(), body.topP(), body.minP(), null, body.repetitionPenalty(), body.presencePenalty(),
                body.frequencyPenalty());
        beams(b, body.numBeams(), body.lengthPenalty(), body.earlyStopping());
        Set<Field> unset = common(body.maxTokens(), body.topK(), body.topP(), body.minP(), body.repetitionPenalty());
        if (body.temperature() == null && temperature == null) {
            unset.add(Field.SAMPLING);
        }
        return new GenerationQuery(body.model(), prompt, null, b.build(), choices(body.n()), "/v1/completions",
                Deadline.NONE, null, unset, ResponseFormats.openAi(body.responseFormat(), body.guidedJson(),
                body.guidedRegex(), body.guidedChoice(), body.structuredOutputs()));
    }

    static GenerationQuery chat(ChatCompletionRequest body) {
        if (body == null) {
            throw ServingException.invalid(null, "a JSON body is required");
        }
        if (body.messages() == null || body.messages().isEmpty()) {
            throw ServingException.invalid("messages", "'messages' must be a non-empty array");
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < body.messages().size(); i++) {
            Map<String, Object> message = message(body.messages().get(i), i);
            ChatToolRequests.addToolFields(body.messages().get(i), message, i);
            messages.add(message);
        }
        List<Map<String, Object>> tools = ChatToolRequests.tools(body.tools());
        ToolChoice choice = ChatToolRequests.choice(body.toolChoice(), tools);
        Integer max = body.maxCompletionTokens() != null ? body.maxCompletionTokens() : body.maxTokens();
        boolean logprobs = Boolean.TRUE.equals(body.logprobs());
        if (body.topLogprobs() != null && !logprobs) {
            throw ServingException.invalid("top_logprobs", "top_logprobs needs logprobs: true");
        }
        GenerationParams.Builder b = openAi(max, body.temperature(), body.seed(), body.stop(), logprobs,
                body.topLogprobs() == null ? 0 : body.topLogprobs(), body.minTokens(), body.stopTokenIds(),
                body.ignoreEos());
        b.logitBias(logitBias(body.logitBias()));
        optional(b, body.topK(), body.topP(), body.minP(), null, body.repetitionPenalty(), body.presencePenalty(),
                body.frequencyPenalty());
        Set<Field> unset = common(max, body.topK(), body.topP(), body.minP(), body.repetitionPenalty());
        if (body.temperature() == null) {
            unset.add(Field.SAMPLING);
        }
        // tool_choice none: the tools stay out of the prompt, as vLLM does, so the model answers in words.
        ChatInput chat = new ChatInput(messages, choice.parsesCalls() ? tools : null, body.chatTemplateKwargs());
        return new GenerationQuery(body.model(), null, chat, b.build(), choices(body.n()), "/v1/chat/completions",
                Deadline.NONE, null, unset, ResponseFormats.openAi(body.responseFormat(),
                body.guidedJson(), body.guidedRegex(), body.guidedChoice(), body.structuredOutputs()));
    }

    /** A chat request's tool_choice (the request was checked by {@link #chat}). */
    static ToolChoice toolChoice(ChatCompletionRequest body) {
        return ChatToolRequests.choice(body.toolChoice(), ChatToolRequests.tools(body.tools()));
    }

    private static GenerationParams.Builder openAi(Integer maxTokens, Double temperature, Long seed, JsonNode stop,
                                                   boolean logprobs, int topLogprobs, Integer minTokens,
                                                   List<Long> stopTokenIds, Boolean ignoreEos) {
        double t = temperature == null ? 1.0 : temperature;
        if (t < 0 || t > 2) {
            throw ServingException.invalid("temperature", "temperature must be between 0 and 2");
        }
        return GenerationParams.builder()
                .maxNewTokens(maxTokens)
                .sample(t > 0)
                .temperature(t)
                .seed(seed)
                .stop(stops(stop))
                .logprobs(logprobs)
                .topNTokens(topLogprobs)
                .minTokens(minTokens == null ? 0 : minTokens)
                .stopTokenIds(stopTokenIds)
                .ignoreEos(Boolean.TRUE.equals(ignoreEos));
    }

    /** The parameters every API leaves to the model's generation_config.json when the request omits them. */
    private static Set<Field> common(Integer maxNewTokens, Integer topK, Double topP, Double minP, Double repetition) {
        Set<Field> unset = EnumSet.noneOf(Field.class);
        if (maxNewTokens == null) {
            unset.add(Field.MAX_NEW_TOKENS);
        }
        if (topK == null) {
            unset.add(Field.TOP_K);
        }
        if (topP == null) {
            unset.add(Field.TOP_P);
        }
        if (minP == null) {
            unset.add(Field.MIN_P);
        }
        if (repetition == null) {
            unset.add(Field.REPETITION_PENALTY);
        }
        return unset;
    }

    /** Optional filters and penalties; an absent value keeps the neutral default (-1 top_k also means off). */
    private static void optional(GenerationParams.Builder b, Integer topK, Double topP, Double minP, Double typicalP,
                                 Double repetition, Double presence, Double frequency) {
        if (topK != null) {
            b.topK(topK == -1 ? 0 : topK);
        }
        if (topP != null) {
            b.topP(topP);
        }
        if (minP != null) {
            b.minP(minP);
        }
        if (typicalP != null) {
            b.typicalP(typicalP);
        }
        if (repetition != null) {
            b.repetitionPenalty(repetition);
        }
        if (presence != null) {
            b.presencePenalty(presence);
        }
        if (frequency != null) {
            b.frequencyPenalty(frequency);
        }
    }

    /** OpenAI's logit_bias: keys are token ids written as strings. */
    private static java.util.Map<Long, Double> logitBias(java.util.Map<String, Double> bias) {
        if (bias == null) {
            return java.util.Map.of();
        }
        java.util.Map<Long, Double> out = new java.util.HashMap<>();
        for (java.util.Map.Entry<String, Double> e : bias.entrySet()) {
            try {
                out.put(Long.parseLong(e.getKey().trim()), e.getValue());
            } catch (NumberFormatException ex) {
                throw ServingException.invalid("logit_bias", "logit_bias keys must be token ids, got '"
                        + (e.getKey().length() > 40 ? e.getKey().substring(0, 40) + "..." : e.getKey()) + "'");
            }
        }
        return out;
    }

    private static void beams(GenerationParams.Builder b, Integer numBeams, Double lengthPenalty,
                              Boolean earlyStopping) {
        if (numBeams != null) {
            b.numBeams(numBeams);
        }
        if (lengthPenalty != null) {
            b.lengthPenalty(lengthPenalty);
        }
        if (earlyStopping != null) {
            b.earlyStopping(earlyStopping);
        }
    }

    private static int choices(Integer n) {
        return n == null ? 1 : n;
    }

    private static String prompt(JsonNode node) {
        if (node != null && node.isTextual()) {
            return node.textValue();
        }
        if (node != null && node.isArray() && node.size() == 1 && node.get(0).isTextual()) {
            return node.get(0).textValue();
        }
        throw ServingException.invalid("prompt", "'prompt' must be a string (or an array of one string)");
    }

    private static List<String> stops(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (node.isTextual()) {
            return List.of(node.textValue());
        }
        if (node.isArray()) {
            List<String> out = new ArrayList<>();
            for (JsonNode item : node) {
                if (!item.isTextual()) {
                    throw ServingException.invalid("stop", "'stop' must be a string or an array of strings");
                }
                out.add(item.textValue());
            }
            return out;
        }
        throw ServingException.invalid("stop", "'stop' must be a string or an array of strings");
    }

    /**
     * One message as the chat template sees it: role, content (text parts joined into one string, as vLLM's
     * "string" content format; null only for an assistant turn, which may just call tools) and name.
     */
    static Map<String, Object> message(ChatCompletionRequest.Message m, int i) {
        if (m == null || m.role() == null || m.role().isBlank()) {
            throw ServingException.invalid("messages", "messages[" + i + "].role is required");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", m.role());
        boolean absent = m.content() == null || m.content().isNull();
        if (absent && !m.role().equals("assistant")) {
            throw ServingException.invalid("messages", "messages[" + i + "].content is required");
        }
        out.put("content", absent ? null : content(m.content(), i));
        if (m.name() != null) {
            out.put("name", m.name());
        }
        return out;
    }

    /** A string, or an array of {"type": "text", "text": ...} parts joined. */
    private static String content(JsonNode node, int index) {
        if (node != null && node.isTextual()) {
            return node.textValue();
        }
        if (node != null && node.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : node) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ServingException.invalid("messages", "messages[" + index + "].content parts must be "
                            + "{\"type\": \"text\", \"text\": ...}; this model reads text only");
                }
                sb.append(part.path("text").textValue());
            }
            return sb.toString();
        }
        throw ServingException.invalid("messages", "messages[" + index + "].content must be a string or text parts");
    }
}
