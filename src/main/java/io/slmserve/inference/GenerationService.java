package io.slmserve.inference;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.DecoderInfo;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.GenerationDefaults;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.LoraAdapter;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import io.slmserve.core.TokenConstraint;
import io.slmserve.generation.GenerationPool;
import io.slmserve.generation.GenerationRequest;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Generates text with a decoder (the prompt is continued) or an encoder-decoder (the prompt is the source the
 * target is generated from): resolves the model, renders chat messages, tokenizes and checks the prompt against the
 * model's limits on the caller's thread (so a bad request fails before it queues), resolves max_new_tokens and
 * the seed, and queues the request's n sequences on the model's generation pool. Streaming callers get events
 * as tokens come; the others a future of the whole completion.
 */
@ApplicationScoped
public class GenerationService {

    private static final Set<ModelTask> TASKS = Set.of(ModelTask.TEXT_GENERATION, ModelTask.TEXT2TEXT_GENERATION);

    private final ModelResolver resolver;
    private final DecoderPools pools;
    private final ServingMetrics metrics;
    private final ServerConfig.Limits limits;
    private final ChatTemplates templates;

    private final StructuredOutput structured;
    private final AdapterChoice adapters;

    public GenerationService(ModelResolver resolver, DecoderPools pools, ChatTemplates templates, ServingMetrics metrics,
                             ServerConfig config, StructuredOutput structured, AdapterChoice adapters) {
        this.adapters = adapters;
        this.templates = templates;
        this.structured = structured;
        this.resolver = resolver;
        this.pools = pools;
        this.metrics = metrics;
        this.limits = config.limits();
    }

    /** Resolves the model a query would use, before work starts. */
    public String modelFor(String requested) {
        return resolve(adapters.parse(requested, null).model()).spec().id();
    }

    /**
     * A named model of either generative task; without a name the text-generation model answers, and a
     * text2text-generation model only when no decoder is loaded (so adding a seq2seq model keeps old callers working).
     */
    /**
     * The id of the model a request's model field selects (404, 503 as a generation would answer); with an adapter,
     * as vLLM answers, the adapter's name.
     */
    public String modelId(String model) {
        AdapterChoice.Named named = adapters.parse(model, null);
        String base = resolve(named.model()).spec().id();
        return named.adapter() == null ? base : adapters.weights(base, named.adapter()).name();
    }

    private LoadedModel resolve(String model) {
        String requested = ModelResolver.requested(model);
        if (requested != null) {
            return resolver.resolve(requested, TASKS);
        }
        try {
            return resolver.resolve(null, Set.of(ModelTask.TEXT_GENERATION));
        } catch (ServingException e) {
            if (e.kind() != ErrorKind.MODEL_NOT_FOUND) {
                throw e;
            }
            return resolver.resolve(null, Set.of(ModelTask.TEXT2TEXT_GENERATION));
        }
    }

    /**
     * Generates the whole completion. Cancelling the returned future (the client left) cancels every choice:
     * waiting ones leave the queue, running ones free their slots before the next step.
     */
    public CompletableFuture<Completion> generate(GenerationQuery query) {
        CompletableFuture<Completion> result = new CompletableFuture<>();
        CompletionTracker tracker = start(query, event -> {
            if (event instanceof GenerationEvent.Done done) {
                result.complete(done.completion());
            } else if (event instanceof GenerationEvent.Failed failed) {
                result.completeExceptionally(failed.error());
            }
        });
        result.whenComplete((c, e) -> {
            if (result.isCancelled()) {
                tracker.cancel();
            }
        });
        return result;
    }

    /**
     * Starts a streaming generation; {@code events} is called from worker threads and must not block.
     *
     * @throws ServingException for an invalid request or a full queue, before any event
     */
    public Cancellable stream(GenerationQuery query, Consumer<GenerationEvent> events) {
        return start(query, events);
    }

    private CompletionTracker start(GenerationQuery query, Consumer<GenerationEvent> events) {
        AdapterChoice.Named named = adapters.parse(query.model(), query.adapter());
        LoadedModel model = resolve(named.model());
        String id = model.spec().id();
        LoraAdapter adapter = adapters.weights(id, named.adapter());
        GenerationPool pool = pools.pool(id)
                .orElseThrow(() -> ServingException.notReady(id, "no generation pool", limits.retryAfterSeconds()));
        DecoderInfo info = pool.info();
        if (query.chat() != null && info.encoderDecoder()) {
            throw ServingException.invalid("model", "model '" + id + "' is an encoder-decoder ("
                    + model.spec().task().id() + ") model: it maps a source text to a target and has no chat "
                    + "template; send the source to /v1/completions or /generate");
        }
        String prompt = query.chat() != null ? templates.render(id, info, query.chat()) : query.prompt();
        long[] ids = tokenize(model, prompt);
        int n = query.n();
        int maxChoices = Math.min(limits.maxChoices(), pool.limits().queueSize());
        if (n < 1 || n > maxChoices) {
            throw ServingException.invalid("n", "n must be between 1 and " + maxChoices);
        }
        if (n > 1 && query.params().beamSearch()) {
            throw ServingException.invalid("n", "n must be 1 with num_beams > 1: a beam search returns its best "
                    + "hypothesis");
        }
        GenerationDefaults defaults = info.generationDefaults();
        GenerationParams requested = defaults.applyTo(query.params(), query.unset());
        Integer defaultMaxNew = query.defaultMaxNewTokens();
        if (query.unset().contains(GenerationDefaults.Field.MAX_NEW_TOKENS) && defaults.maxNewTokens() != null) {
            // The model's max_new_tokens replaces the API's default; like any default it shrinks to the room left.
            requested = requested.toBuilder().maxNewTokens(null).build();
            defaultMaxNew = Math.max(defaults.maxNewTokens(), requested.minTokens());
        }
        GenerationParams params = resolve(requested, defaultMaxNew, ids.length, info);
        // Compiled here, on the caller's thread and before admission: a slow schema never holds up a worker, and
        // an unsatisfiable one is a 400 before anything queues.
        TokenConstraint constraint = query.constraint() == null ? null : structured.compile(id, query.constraint(),
                model.tokenizer(), info.vocabularySize(), info.eosTokenId(), query.deadline());
        List<GenerationRequest> requests = new ArrayList<>(n);
        CompletionTracker tracker = new CompletionTracker(id, prompt, ids.length, n, events);
        for (int i = 0; i < n; i++) {
            requests.add(new GenerationRequest(ids, params.withSeed(params.seed() + i), tracker.listener(i),
                    query.deadline(), constraint, adapter));
        }
        metrics.inputTokens(id, query.endpoint(), ids.length);
        tracker.handles(pool.submit(requests));
        return tracker;
    }

    private long[] tokenize(LoadedModel model, String prompt) {
        if (prompt == null || prompt.isEmpty()) {
            throw ServingException.invalid("prompt", "the prompt must not be empty");
        }
        if (prompt.length() > limits.maxInputChars()) {
            throw ServingException.invalid("prompt", "the prompt has " + prompt.length()
                    + " characters; the limit is " + limits.maxInputChars());
        }
        long[] ids = model.tokenizer().encode(prompt, false).ids();
        if (ids.length == 0) {
            throw ServingException.invalid("prompt", "the prompt has no tokens");
        }
        return ids;
    }

    /**
     * Fills in max_new_tokens (up to the model's limit and slm.limits.max-new-tokens) and the seed; checks ids
     * against the vocabulary and stop strings and logit_bias against the server's limits.
     */
    private GenerationParams resolve(GenerationParams params, Integer defaultMaxNew, int promptTokens,
                                     DecoderInfo info) {
        if (params.stop().size() > limits.maxStopStrings()) {
            throw ServingException.invalid("stop", "at most " + limits.maxStopStrings() + " stop strings, got "
                    + params.stop().size());
        }
        for (String stop : params.stop()) {
            if (stop.length() > limits.maxStopChars()) {
                throw ServingException.invalid("stop", "a stop string has " + stop.length()
                        + " characters; the limit is " + limits.maxStopChars());
            }
        }
        if (params.logitBias().size() > limits.maxLogitBias()) {
            throw ServingException.invalid("logit_bias", "at most " + limits.maxLogitBias()
                    + " logit_bias entries, got " + params.logitBias().size());
        }
        for (long id : params.logitBias().keySet()) {
            if (id >= info.vocabularySize()) {
                throw ServingException.invalid("logit_bias", "token id " + id + " is outside the vocabulary [0, "
                        + info.vocabularySize() + ")");
            }
        }
        Integer requested = params.maxNewTokens();
        for (long stopId : params.stopTokenIds()) {
            if (stopId >= info.vocabularySize()) {
                throw ServingException.invalid("stop_token_ids", "token id " + stopId + " is outside the vocabulary [0, "
                        + info.vocabularySize() + ")");
            }
        }
        int room = Math.min(info.maxTotalTokens() - promptTokens, info.maxNewTokens());
        if (room < 1 || (requested != null && requested > room)) {
            throw new ServingException(ErrorKind.INPUT_TOO_LONG, "the prompt has " + promptTokens + " tokens; with "
                    + (requested == null ? 1 : requested) + " new tokens it exceeds the model's max_total_tokens of "
                    + info.maxTotalTokens() + (info.encoderDecoder() ? " or its " + info.maxNewTokens()
                    + " generated tokens at most" : ""), "max_tokens");
        }
        if (requested != null && requested > limits.maxNewTokens()) {
            throw ServingException.invalid("max_tokens", "at most " + limits.maxNewTokens()
                    + " new tokens per request (slm.limits.max-new-tokens), got " + requested);
        }
        long seed = params.seed() != null ? params.seed() : ThreadLocalRandom.current().nextLong(1L << 48);
        int cap = Math.min(room, limits.maxNewTokens());
        int maxNew = requested != null ? requested : defaultMaxNew != null ? Math.min(defaultMaxNew, cap) : cap;
        return params.toBuilder().maxNewTokens(maxNew).seed(seed).build();
    }
}
