package io.slmserve.inference;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelTask;
import io.slmserve.core.ServingException;
import io.slmserve.core.TokenizedText;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import jakarta.enterprise.context.ApplicationScoped;

/** Tokenizes and detokenizes with any loaded model's tokenizer, exactly as the model sees its input. */
@ApplicationScoped
public class TokenizeService {

    private static final Set<ModelTask> ANY = EnumSet.allOf(ModelTask.class);

    private final ModelResolver resolver;
    private final ChatTemplates templates;
    private final ServerConfig.Limits limits;

    public TokenizeService(ModelResolver resolver, ChatTemplates templates, ServerConfig config) {
        this.resolver = resolver;
        this.templates = templates;
        this.limits = config.limits();
    }

    /**
     * A prompt rendered by a decoder's chat template, and its tokens exactly as generation would encode them (a
     * prompt over max_input_tokens is a 422 as in generation, unless {@code truncate}).
     */
    public record ChatPrompt(String model, String prompt, TokenizedText tokens) {
    }

    public ChatPrompt tokenizeChat(String model, ChatInput chat, boolean truncate) {
        LoadedModel loaded = resolver.resolve(model, Set.of(ModelTask.TEXT_GENERATION));
        if (loaded.decoder() == null) {
            throw ServingException.invalid("messages", "model '" + loaded.spec().id() + "' has no chat template");
        }
        String prompt = templates.render(loaded.spec().id(), loaded.decoder().info(), chat);
        if (prompt.length() > limits.maxInputChars()) {
            throw ServingException.invalid("messages", "the rendered prompt has " + prompt.length()
                    + " characters; the limit is " + limits.maxInputChars());
        }
        return new ChatPrompt(loaded.spec().id(), prompt, loaded.tokenizer().encode(prompt, truncate));
    }

    public List<TokenizedText> tokenize(String model, List<String> texts, boolean truncate) {
        if (texts.isEmpty()) {
            throw ServingException.invalid("inputs", "inputs must not be empty");
        }
        if (texts.size() > limits.maxInputsPerRequest()) {
            throw ServingException.invalid("inputs", "at most " + limits.maxInputsPerRequest()
                    + " inputs per request, got " + texts.size());
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i).length() > limits.maxInputChars()) {
                throw ServingException.invalid("inputs", "inputs[" + i + "] has " + texts.get(i).length()
                        + " characters; the limit is " + limits.maxInputChars());
            }
        }
        LoadedModel loaded = resolver.resolve(model, ANY);
        List<TokenizedText> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            out.add(loaded.tokenizer().encode(text, truncate));
        }
        return out;
    }

    public String decode(String model, long[] ids, boolean skipSpecialTokens) {
        LoadedModel loaded = resolver.resolve(model, ANY);
        int vocab = loaded.tokenizer().vocabularySize();
        for (long id : ids) {
            if (id < 0 || id >= vocab) {
                throw ServingException.invalid("ids", "token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        return loaded.tokenizer().decode(ids, skipSpecialTokens);
    }
}
