package io.slmserve.inference;

import io.slmserve.core.Deadline;
import io.slmserve.core.GenerationParams;
import java.util.List;
import java.util.Map;

/**
 * A validated generation request from any API.
 *
 * @param model     model id, or null for the only text-generation model
 * @param prompt    prompt text (null when messages are given)
 * @param messages  chat messages as the chat template takes them (role, content, and where given tool_calls with
 *                  arguments as objects, tool_call_id, name), or null for a plain prompt
 * @param params    sampling and stopping; max_new_tokens null means up to the model's limit
 * @param n         independent choices for the same prompt (seeds seed, seed + 1, ...)
 * @param endpoint  the API path, for metrics
 * @param deadline  past it, waiting and running sequences end with a 504
 * @param defaultMaxNewTokens when params leave max_new_tokens unset: at most this many (fewer when the model's
 *                  limits leave less room), or null for as many as the limits allow
 * @param tools     tool definitions for the chat template ([{type: function, function: {...}}]), or null
 */
public record GenerationQuery(String model, String prompt, List<Map<String, Object>> messages,
                              GenerationParams params, int n, String endpoint, Deadline deadline,
                              Integer defaultMaxNewTokens, List<Map<String, Object>> tools) {

    public GenerationQuery(String model, String prompt, List<Map<String, Object>> messages,
                           GenerationParams params, int n, String endpoint, Deadline deadline,
                           Integer defaultMaxNewTokens) {
        this(model, prompt, messages, params, n, endpoint, deadline, defaultMaxNewTokens, null);
    }

    public GenerationQuery(String model, String prompt, List<Map<String, Object>> messages,
                           GenerationParams params, int n, String endpoint, Deadline deadline) {
        this(model, prompt, messages, params, n, endpoint, deadline, null, null);
    }

    /** The same query with the request's deadline. */
    public GenerationQuery withDeadline(Deadline value) {
        return new GenerationQuery(model, prompt, messages, params, n, endpoint, value, defaultMaxNewTokens, tools);
    }
}
