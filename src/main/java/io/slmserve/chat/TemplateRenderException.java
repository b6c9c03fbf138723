package io.slmserve.chat;

/**
 * A template that fails while rendering: {@code raise_exception(msg)} (then {@link #raisedByTemplate()} and the
 * message is exactly the template's text, as transformers' TemplateError carries it), or a Python-like runtime
 * error (an undefined value used, a type mismatch). Callers answer it as a client error: these messages
 * cannot be rendered by this model's template.
 */
public class TemplateRenderException extends RuntimeException {

    private final boolean raisedByTemplate;

    public TemplateRenderException(String message, boolean raisedByTemplate) {
        super(message);
        this.raisedByTemplate = raisedByTemplate;
    }

    public static TemplateRenderException error(String message) {
        return new TemplateRenderException(message, false);
    }

    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
