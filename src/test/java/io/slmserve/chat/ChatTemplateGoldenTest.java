package io.slmserve.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Real chat templates (src/test/resources/chat-templates, sources in its README) rendered for every golden
 * conversation must equal, byte for byte, what Python jinja2 with transformers' settings produced
 * (models/tools/render_chat_templates.py); where jinja2 failed, this engine must fail too, with the template's
 * own message when the template raised it.
 */
class ChatTemplateGoldenTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** render_chat_templates.py's GOLDEN_NOW: templates that print today's date (granite3.3) match on any day. */
    private static final LocalDateTime GOLDEN_NOW = LocalDateTime.of(2026, 12, 6, 12, 0);

    @TestFactory
    List<DynamicTest> everyTemplateRendersEveryConversationAsJinja2Does() throws IOException {
        List<Map<String, Object>> templates = read("templates.json", new TypeReference<>() { });
        List<Map<String, Object>> conversations = read("conversations.json", new TypeReference<>() { });
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> entry : templates) {
            String name = (String) entry.get("name");
            ChatTemplate template = ChatTemplate.compile(text(name + ".jinja"));
            Map<String, Map<String, Object>> expected = read("expected/" + name + ".json", new TypeReference<>() { });
            for (Map<String, Object> conversation : conversations) {
                String id = (String) conversation.get("id");
                tests.add(DynamicTest.dynamicTest(name + " / " + id,
                        () -> check(template, entry, conversation, expected.get(id))));
            }
        }
        assertTrue(templates.size() >= 12, "at least 12 real templates");
        return tests;
    }

    @SuppressWarnings("unchecked")
    private static void check(ChatTemplate template, Map<String, Object> entry, Map<String, Object> conversation,
                              Map<String, Object> expected) {
        Map<String, Object> kwargs = new HashMap<>((Map<String, Object>) entry.getOrDefault("kwargs", Map.of()));
        kwargs.putAll((Map<String, Object>) conversation.getOrDefault("chat_template_kwargs", Map.of()));
        ChatContext context = new ChatContext((List<Map<String, Object>>) conversation.get("messages"),
                (List<Map<String, Object>>) conversation.get("tools"),
                (List<Map<String, Object>>) conversation.get("documents"),
                (Boolean) conversation.get("add_generation_prompt"), (String) entry.get("bos_token"),
                (String) entry.get("eos_token"), kwargs);
        if (expected.containsKey("output")) {
            assertEquals(expected.get("output"), template.render(context, GOLDEN_NOW));
            return;
        }
        TemplateRenderException e = assertThrows(TemplateRenderException.class, () -> template.render(context, GOLDEN_NOW),
                "jinja2 failed with " + expected.get("error"));
        assertEquals(expected.get("raised"), e.raisedByTemplate(), e.getMessage());
        if (Boolean.TRUE.equals(expected.get("raised"))) {
            assertEquals(expected.get("error"), e.getMessage());
        }
    }

    private static <T> T read(String name, TypeReference<T> type) throws IOException {
        return JSON.readValue(text(name), type);
    }

    static String text(String name) throws IOException {
        try (InputStream in = ChatTemplateGoldenTest.class.getResourceAsStream("/chat-templates/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource chat-templates/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
