package io.slmserve.inference;

import io.slmserve.chat.ChatContext;
import io.slmserve.chat.ChatTemplate;
import io.slmserve.chat.TemplateRenderException;
import io.slmserve.chat.TemplateSyntaxException;
import io.slmserve.core.DecoderInfo;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelLoadException;
import io.slmserve.core.ServingException;
import io.slmserve.registry.ModelActivation;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Each decoder model's compiled chat template, checked when the model loads: the template must compile and
 * render a sample conversation, or the model fails with the template's error (serving.properties
 * {@code option.chat_template_on_error=plain} serves it instead with a logged warning and the plain format).
 * A model without a chat_template uses the plain format: each message's content on its own line.
 */
@ApplicationScoped
public class ChatTemplates implements ModelActivation {

    /** serving.properties option: {@code fail} (default) or {@code plain}. */
    public static final String ON_ERROR_OPTION = "chat_template_on_error";

    private static final Logger LOG = Logger.getLogger(ChatTemplates.class);
    private static final ChatTemplate PLAIN = ChatTemplate.plain();
    private static final List<List<Map<String, Object>>> SAMPLES = List.of(
            List.of(Map.of("role", "user", "content", "Hello")),
            List.of(Map.of("role", "user", "content", "Hello"),
                    Map.of("role", "assistant", "content", "Hi! How can I help?"),
                    Map.of("role", "user", "content", "Tell me a joke.")));

    private final Map<String, ChatTemplate> templates = new ConcurrentHashMap<>();

    @Override
    public void activate(LoadedModel model) throws ModelLoadException {
        if (model.decoder() == null || model.decoder().info().encoderDecoder()) {
            return;
        }
        String id = model.spec().id();
        String onError = model.spec().option(ON_ERROR_OPTION, "fail");
        if (!onError.equals("fail") && !onError.equals("plain")) {
            throw new ModelLoadException("option." + ON_ERROR_OPTION + " must be fail or plain, got '" + onError + "'");
        }
        try {
            templates.put(id, checked(model.decoder().info()));
        } catch (TemplateSyntaxException | TemplateRenderException e) {
            String why = (e instanceof TemplateSyntaxException ? "chat_template does not compile: "
                    : "chat_template cannot render a sample conversation: ") + e.getMessage();
            if (onError.equals("fail")) {
                throw new ModelLoadException(why);
            }
            LOG.warnf("model %s: %s; serving with the plain format (option.%s=plain)", id, why, ON_ERROR_OPTION);
            templates.put(id, PLAIN);
        }
    }

    private static ChatTemplate checked(DecoderInfo info) {
        if (info.chatTemplate() == null) {
            return PLAIN;
        }
        ChatTemplate template = ChatTemplate.compile(info.chatTemplate());
        for (List<Map<String, Object>> sample : SAMPLES) {
            template.render(new ChatContext(sample, null, null, true, info.bosToken(), info.eosToken(), Map.of()));
        }
        return template;
    }

    @Override
    public void deactivate(String modelId) {
        templates.remove(modelId);
    }

    /**
     * The model's prompt for a conversation.
     *
     * @throws ServingException 400 naming messages (or chat_template_kwargs) with the template's own message when
     *                          the template rejects the conversation
     */
    public String render(String modelId, DecoderInfo info, ChatInput chat) {
        if (chat.messages().isEmpty()) {
            throw ServingException.invalid("messages", "messages must not be empty");
        }
        ChatTemplate template = templates.get(modelId);
        if (template == null) {
            throw ServingException.notReady(modelId, "the chat template is not loaded", 1);
        }
        try {
            return template.render(new ChatContext(chat.messages(), chat.tools(), null, chat.addGenerationPrompt(),
                    info.bosToken(), info.eosToken(), chat.templateKwargs()));
        } catch (TemplateRenderException e) {
            if (e.getMessage().startsWith("chat_template_kwargs")) {
                throw ServingException.invalid("chat_template_kwargs", e.getMessage());
            }
            throw ServingException.invalid("messages", "the model's chat template rejected the conversation: "
                    + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ServingException.invalid("messages", e.getMessage());
        }
    }
}
