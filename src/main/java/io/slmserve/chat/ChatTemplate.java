package io.slmserve.chat;

import io.slmserve.chat.Ast.Node;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled Hugging Face chat template (tokenizer_config.json's {@code chat_template}), rendered as transformers
 * renders it: jinja2 with trim_blocks, lstrip_blocks and loop controls, raise_exception, strftime_now and
 * transformers' tojson. Compiled templates are immutable and safe to render from many threads.
 */
public final class ChatTemplate {

    /** For models without a template: each message's content on its own line, which base models continue best. */
    public static final String PLAIN_SOURCE = "{% for message in messages %}{{ message['content'] }}\n{% endfor %}";

    private static final Set<String> RESERVED = Set.of("messages", "tools", "documents", "add_generation_prompt");

    private final String source;
    private final List<Node> nodes;

    private ChatTemplate(String source, List<Node> nodes) {
        this.source = source;
        this.nodes = nodes;
    }

    /**
     * Parses a template.
     *
     * @throws TemplateSyntaxException (line and column in the message) when it does not parse or uses a statement,
     *                                 filter or test this engine does not implement
     */
    public static ChatTemplate compile(String source) {
        return new ChatTemplate(source, TemplateParser.parse(source));
    }

    public static ChatTemplate plain() {
        return compile(PLAIN_SOURCE);
    }

    public String source() {
        return source;
    }

    /**
     * Renders a conversation.
     *
     * @throws TemplateRenderException when the template raises ({@code raise_exception}) or fails on these
     *                                 messages; a client error (HTTP 400) with the template's message
     */
    public String render(ChatContext context) {
        return render(context, null);
    }

    /** {@link #render(ChatContext)} with strftime_now reading {@code now} (null: the clock), for fixed outputs. */
    String render(ChatContext context, LocalDateTime now) {
        Scope scope = new Scope(null);
        scope.set("messages", normalize(context.messages()));
        scope.set("tools", normalize(context.tools()));
        scope.set("documents", normalize(context.documents()));
        scope.set("add_generation_prompt", context.addGenerationPrompt());
        scope.set("bos_token", context.bosToken());
        scope.set("eos_token", context.eosToken());
        for (Map.Entry<String, Object> e : context.extraKwargs().entrySet()) {
            if (RESERVED.contains(e.getKey())) {
                throw TemplateRenderException.error("chat_template_kwargs may not set '" + e.getKey() + "'");
            }
            scope.set(e.getKey(), normalize(e.getValue()));
        }
        if (now != null) {
            scope.set("strftime_now", Globals.strftimeAt(now));
        }
        StringBuilder out = new StringBuilder();
        try {
            new Renderer().render(nodes, scope, out);
        } catch (StackOverflowError e) {
            throw TemplateRenderException.error("the chat template recursed too deeply");
        }
        return out.toString();
    }

    /** {@link #render(ChatContext)} with the context's fields as arguments. */
    public String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                         List<Map<String, Object>> documents, boolean addGenerationPrompt, String bosToken,
                         String eosToken, Map<String, Object> extraKwargs) {
        return render(new ChatContext(messages, tools, documents, addGenerationPrompt, bosToken, eosToken,
                extraKwargs));
    }

    /** Java values as the evaluator expects them: Long for integers, Double for floats, fresh lists and maps. */
    static Object normalize(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b) {
            return b.longValueExact();
        }
        if (v instanceof BigDecimal b) {
            return b.doubleValue();
        }
        if (v instanceof Float f) {
            return Double.parseDouble(f.toString());
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(normalize(k), normalize(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(normalize(x)));
            return out;
        }
        if (v instanceof CharSequence s) {
            return s.toString();
        }
        throw new IllegalArgumentException("a chat template cannot be given a " + v.getClass().getSimpleName());
    }
}
