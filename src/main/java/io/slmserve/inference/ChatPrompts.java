package io.slmserve.inference;

import io.slmserve.chat.ChatTemplate;
import io.slmserve.chat.TemplateRenderException;
import io.slmserve.chat.TemplateSyntaxException;
import io.slmserve.core.DecoderInfo;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ServingException;
import io.slmserve.tools.ReasoningFormat;
import io.slmserve.tools.ToolCallFormat;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * A decoder's chat side: its compiled chat template (messages and tools rendered as transformers renders them),
 * and how its replies carry tool calls and reasoning (serving.properties {@code option.tool_call_parser}, by
 * default read from the template, and {@code option.reasoning_parser}, off by default). Cached per model id.
 */
@ApplicationScoped
public class ChatPrompts {

    private static final Logger LOG = Logger.getLogger(ChatPrompts.class);

    /** How a model's replies are split: its tool-call format and reasoning format. */
    public record ReplyFormat(ToolCallFormat tools, ReasoningFormat reasoning) {
    }

    private final Map<String, ChatTemplate> templates = new ConcurrentHashMap<>();
    private final Map<String, ReplyFormat> formats = new ConcurrentHashMap<>();
    private final ModelResolver resolver;

    public ChatPrompts(ModelResolver resolver) {
        this.resolver = resolver;
    }

    /** The prompt for these messages and tools (tools null: none declared). */
    String render(LoadedModel model, DecoderInfo info, List<Map<String, Object>> messages,
                  List<Map<String, Object>> tools) {
        if (messages.isEmpty()) {
            throw ServingException.invalid("messages", "messages must not be empty");
        }
        ChatTemplate template = templates.computeIfAbsent(model.spec().id(), id -> compile(id, info));
        try {
            return template.render(messages, tools, null, true, info.bosToken(), info.eosToken(), Map.of());
        } catch (TemplateRenderException e) {
            throw ServingException.invalid("messages", "the chat template cannot render these messages: "
                    + e.getMessage());
        }
    }

    private static ChatTemplate compile(String id, DecoderInfo info) {
        if (info.chatTemplate() == null) {
            return ChatTemplate.plain();
        }
        try {
            return ChatTemplate.compile(info.chatTemplate());
        } catch (TemplateSyntaxException e) {
            LOG.warnf("model %s: chat_template does not compile (%s); using one message per line", id, e.getMessage());
            return ChatTemplate.plain();
        }
    }

    /** The reply format of a loaded decoder (checked at load by serving.properties' validation). */
    public ReplyFormat replyFormat(String modelId) {
        return formats.computeIfAbsent(modelId, id -> {
            LoadedModel model = resolver.resolve(id, java.util.EnumSet.allOf(io.slmserve.core.ModelTask.class));
            String tools = model.spec().option("tool_call_parser", null);
            String reasoning = model.spec().option("reasoning_parser", null);
            String template = model.decoder() == null ? null : model.decoder().info().chatTemplate();
            return new ReplyFormat(tools == null ? ToolCallFormat.detect(template) : ToolCallFormat.fromId(tools),
                    reasoning == null ? ReasoningFormat.NONE : ReasoningFormat.fromId(reasoning));
        });
    }
}
