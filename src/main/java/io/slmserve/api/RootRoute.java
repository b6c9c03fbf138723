package io.slmserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import io.slmserve.inference.ModelResolver;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which native route a body POSTed to {@code /} or {@code /invocations} means. TGI answers there with
 * generation and TEI with its one model's task; a server of several models decides by the body: {@code query}
 * and {@code texts} rerank, {@code inputs} with {@code parameters} or {@code stream} generate, and otherwise the
 * one model whose task takes every field the body has (the named one, or the single candidate; several are a 400
 * naming them).
 */
final class RootRoute {

    /** A native route. */
    enum Target {
        GENERATE("/generate"), GENERATE_STREAM("/generate_stream"), EMBED("/embed"), PREDICT("/predict"),
        FILL_MASK("/fill-mask"), RERANK("/rerank");

        final String path;

        Target(String path) {
            this.path = path;
        }
    }

    /** The route, and the model to name in the forwarded body (null: the route picks as usual). */
    record Choice(Target target, String model) {
    }

    /** The fields each task's route takes beside {@code inputs} and {@code model}. */
    private static final Map<ModelTask, Set<String>> FIELDS = Map.of(
            ModelTask.TEXT_EMBEDDING, Set.of("normalize", "truncate", "dimensions"),
            ModelTask.TEXT_CLASSIFICATION, Set.of("raw_scores", "top_k", "truncate"),
            ModelTask.FILL_MASK, Set.of("top_k", "truncate"),
            ModelTask.TEXT_GENERATION, Set.of(),
            ModelTask.TEXT2TEXT_GENERATION, Set.of());

    private RootRoute() {
    }

    static Choice choose(JsonNode body, ModelResolver resolver) {
        if (body == null || !body.isObject()) {
            throw ServingException.invalid(null, "a JSON object body is required");
        }
        if (body.has("query") || body.has("texts")) {
            return new Choice(Target.RERANK, null);
        }
        if (!body.has("inputs")) {
            throw ServingException.invalid("inputs", "'inputs' is required ('query' and 'texts' to rerank)");
        }
        if (body.has("parameters") || body.has("stream")) {
            return new Choice(body.path("stream").asBoolean(false) ? Target.GENERATE_STREAM : Target.GENERATE, null);
        }
        Set<ModelTask> fitting = fitting(body);
        String named = ModelResolver.requested(body.path("model").isTextual() ? body.get("model").textValue() : null);
        if (named != null) {
            ModelTask task = resolver.taskOf(named);
            if (!fitting.contains(task)) {
                throw ServingException.invalid("model", "model '" + named + "' serves " + task.id()
                        + ", which does not take this body's fields " + known(body) + "; it fits " + ids(fitting));
            }
            return new Choice(target(task), named);
        }
        Map<String, ModelTask> candidates = resolver.candidates(fitting);
        if (candidates.isEmpty()) {
            throw new ServingException(ErrorKind.MODEL_NOT_FOUND, "no model serves a task this body fits "
                    + ids(fitting), "model");
        }
        if (candidates.size() > 1) {
            throw ServingException.invalid("model", "this body fits several models: " + candidates.entrySet()
                    .stream().map(e -> e.getKey() + " (" + e.getValue().id() + ", POST " + target(e.getValue()).path
                            + ")").collect(Collectors.joining(", "))
                    + "; name one in 'model', POST to its route, or add a field only one task takes (normalize or "
                    + "dimensions: /embed; raw_scores: /predict; parameters: /generate)");
        }
        Map.Entry<String, ModelTask> only = candidates.entrySet().iterator().next();
        return new Choice(target(only.getValue()), only.getKey());
    }

    /** The tasks whose route takes every known field the body has; fields no route knows are ignored. */
    static Set<ModelTask> fitting(JsonNode body) {
        Set<String> present = known(body);
        Set<ModelTask> out = EnumSet.noneOf(ModelTask.class);
        FIELDS.forEach((task, fields) -> {
            if (fields.containsAll(present)) {
                out.add(task);
            }
        });
        return out;
    }

    private static Set<String> known(JsonNode body) {
        Set<String> all = FIELDS.values().stream().flatMap(Set::stream).collect(Collectors.toSet());
        Set<String> present = new LinkedHashSet<>();
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (all.contains(name)) {
                present.add(name);
            }
        }
        return present;
    }

    private static Target target(ModelTask task) {
        return switch (task) {
            case TEXT_EMBEDDING -> Target.EMBED;
            case TEXT_CLASSIFICATION -> Target.PREDICT;
            case FILL_MASK -> Target.FILL_MASK;
            case TEXT_GENERATION, TEXT2TEXT_GENERATION -> Target.GENERATE;
            case RERANK -> Target.RERANK;
        };
    }

    private static List<String> ids(Set<ModelTask> tasks) {
        return tasks.stream().map(ModelTask::id).sorted().toList();
    }
}
