package io.slmserve.inference;

import io.slmserve.core.Deadline;
import io.slmserve.core.GenerationDefaults;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.OutputConstraint;
import java.util.Set;

/**
 * A validated generation request from any API.
 *
 * @param model     model id, or null for the only text-generation model
 * @param prompt    prompt text (null when messages are given)
 * @param chat      a conversation, rendered with the model's chat template (null for a plain prompt)
 * @param params    sampling and stopping; max_new_tokens null means up to the model's limit
 * @param n         independent choices for the same prompt (seeds seed, seed + 1, ...)
 * @param endpoint  the API path, for metrics
 * @param deadline  past it, waiting and running sequences end with a 504
 * @param defaultMaxNewTokens when params leave max_new_tokens unset: at most this many (fewer when the model's
 *                  limits leave less room), or null for as many as the limits allow
 * @param unset     the parameters the request left unset: the model's generation_config.json defaults replace
 *                  the API's there ({@link GenerationDefaults#applyTo}); empty keeps the API's defaults
 * @param constraint what the output must match (JSON schema, regex, choice), or null
 * @param adapter   the LoRA adapter named apart from the model (TGI's parameters.adapter_id), or null; the model
 *                  field may also name one as "BASE:ADAPTER" or by the adapter's own name
 */
public record GenerationQuery(String model, String prompt, ChatInput chat,
                              GenerationParams params, int n, String endpoint, Deadline deadline,
                              Integer defaultMaxNewTokens, Set<GenerationDefaults.Field> unset,
                              OutputConstraint constraint, String adapter) {

    public GenerationQuery {
        unset = Set.copyOf(unset);
    }

    public GenerationQuery(String model, String prompt, ChatInput chat,
                           GenerationParams params, int n, String endpoint, Deadline deadline,
                           Integer defaultMaxNewTokens, Set<GenerationDefaults.Field> unset,
                           OutputConstraint constraint) {
        this(model, prompt, chat, params, n, endpoint, deadline, defaultMaxNewTokens, unset, constraint, null);
    }

    public GenerationQuery(String model, String prompt, ChatInput chat,
                           GenerationParams params, int n, String endpoint, Deadline deadline,
                           Integer defaultMaxNewTokens) {
        this(model, prompt, chat, params, n, endpoint, deadline, defaultMaxNewTokens, Set.of(), null);
    }

    public GenerationQuery(String model, String prompt, ChatInput chat,
                           GenerationParams params, int n, String endpoint, Deadline deadline) {
        this(model, prompt, chat, params, n, endpoint, deadline, null);
    }

    /** The same query with the request's deadline. */
    public GenerationQuery withDeadline(Deadline value) {
        return new GenerationQuery(model, prompt, chat, params, n, endpoint, value, defaultMaxNewTokens, unset,
                constraint, adapter);
    }

    /** The same query constrained to a language. */
    public GenerationQuery withConstraint(OutputConstraint value) {
        return new GenerationQuery(model, prompt, chat, params, n, endpoint, deadline, defaultMaxNewTokens, unset,
                value, adapter);
    }

    /** The same query with a LoRA adapter named apart from the model. */
    public GenerationQuery withAdapter(String value) {
        return new GenerationQuery(model, prompt, chat, params, n, endpoint, deadline, defaultMaxNewTokens, unset,
                constraint, value);
    }
}
