package io.slmserve.inference;

import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelTask;
import io.slmserve.registry.ModelActivation;
import io.slmserve.tools.ReasoningFormat;
import io.slmserve.tools.ToolCallFormat;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How a decoder's chat replies carry tool calls and reasoning: serving.properties {@code option.tool_call_parser}
 * (by default read from the chat template) and {@code option.reasoning_parser} (off by default), both checked at
 * load by the registry. Computed when a model activates, forgotten when it is removed (a folder registered again
 * under the same id may say otherwise).
 */
@ApplicationScoped
public class ChatReplyFormats implements ModelActivation {

    /** A model's tool-call format and reasoning format. */
    public record ReplyFormat(ToolCallFormat tools, ReasoningFormat reasoning) {
    }

    private final Map<String, ReplyFormat> formats = new ConcurrentHashMap<>();
    private final ModelResolver resolver;

    public ChatReplyFormats(ModelResolver resolver) {
        this.resolver = resolver;
    }

    /** The reply format of a loaded model (a model without a chat template parses no tool calls). */
    public ReplyFormat of(String modelId) {
        return formats.computeIfAbsent(modelId, id -> format(resolver.resolve(id, EnumSet.allOf(ModelTask.class))));
    }

    @Override
    public void activate(LoadedModel model) {
        formats.put(model.spec().id(), format(model));
    }

    @Override
    public void deactivate(String modelId) {
        formats.remove(modelId);
    }

    private static ReplyFormat format(LoadedModel model) {
        String tools = model.spec().option("tool_call_parser", null);
        String reasoning = model.spec().option("reasoning_parser", null);
        String template = model.decoder() == null ? null : model.decoder().info().chatTemplate();
        return new ReplyFormat(tools == null ? ToolCallFormat.detect(template) : ToolCallFormat.fromId(tools),
                reasoning == null ? ReasoningFormat.NONE : ReasoningFormat.fromId(reasoning));
    }
}
