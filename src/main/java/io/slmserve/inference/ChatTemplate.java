package io.slmserve.inference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a tokenizer_config.json {@code chat_template}: the small Jinja subset such templates use (for/if/
 * elif/else blocks, {@code {{ }}} output, {@code message['role']} and {@code message.content}, string
 * literals, {@code ==}, {@code !=}, {@code +}, {@code and}/{@code or}/{@code not}, {@code loop.first}/{@code
 * loop.last}, the {@code trim} filter, {@code -} whitespace control). A template outside the subset fails at
 * parse time, and the model then uses {@link #PLAIN}: each message's content on its own line, which is what a
 * base (not instruction-tuned) model continues best.
 */
public final class ChatTemplate {

    /** The fallback: contents one per line; the model continues after the last. */
    public static final ChatTemplate PLAIN = parse(
            "{% for message in messages %}{{ message['content'] }}\n{% endfor %}");

    private final List<Object> nodes;

    private ChatTemplate(List<Object> nodes) {
        this.nodes = nodes;
    }

    /** @throws IllegalArgumentException when the template uses Jinja beyond the supported subset */
    public static ChatTemplate parse(String template) {
        return new ChatTemplate(new JinjaParser(template).parse());
    }

    /** Renders the messages; {@code add_generation_prompt} is true, bos/eos tokens as given. */
    public String render(List<ChatMessage> messages, String bosToken, String eosToken) {
        List<Object> list = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> entry = new HashMap<>();
            entry.put("role", m.role());
            entry.put("content", m.content());
            list.add(entry);
        }
        Map<String, Object> scope = new HashMap<>();
        scope.put("messages", list);
        scope.put("bos_token", bosToken);
        scope.put("eos_token", eosToken);
        scope.put("add_generation_prompt", true);
        StringBuilder out = new StringBuilder();
        JinjaParser.render(nodes, scope, out);
        return out.toString();
    }

    /** One chat message. */
    public record ChatMessage(String role, String content) {
    }
}
