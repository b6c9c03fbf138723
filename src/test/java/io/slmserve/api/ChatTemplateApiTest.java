package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Chat templates through the HTTP API with the real nano-gpt: a template that does not parse or raises on the
 * load-time sample fails its model with the template's error (or serves the plain format when the folder says
 * so); /tokenize with messages returns exactly the prompt Python jinja2 rendered for the golden case, with the
 * token ids /tokenize gives for that text; chat_template_kwargs reach the template on /tokenize and chat.
 */
@QuarkusTest
@TestProfile(ChatTemplateProfile.class)
class ChatTemplateApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeEach
    void ready() {
        ModelWait.ready();
    }

    @Test
    void aTemplateThatFailsAtLoadFailsItsModelWithTheTemplatesError() {
        given().get("/models/" + ChatTemplateProfile.BROKEN).then().statusCode(200)
                .body("status", equalTo("FAILED"))
                .body("reason", containsString("chat template line 1"))
                .body("reason", containsString("missing {% endfor %}"))
                .body("reason", startsWith("chat_template does not compile"));
        given().get("/models/" + ChatTemplateProfile.RAISES).then().statusCode(200)
                .body("status", equalTo("FAILED"))
                .body("reason", equalTo("chat_template cannot render a sample conversation: "
                        + "This template rejects every conversation"));
        given().contentType(ContentType.JSON).body(Map.of("model", ChatTemplateProfile.BROKEN,
                        "messages", List.of(Map.of("role", "user", "content", "Hi"))))
                .post("/v1/chat/completions").then().statusCode(503);
    }

    @Test
    void theDocumentedSettingServesABrokenTemplateWithThePlainFormat() {
        given().get("/models/" + ChatTemplateProfile.PLAIN).then().statusCode(200).body("status", equalTo("READY"));
        given().contentType(ContentType.JSON).body(Map.of("model", ChatTemplateProfile.PLAIN,
                        "messages", List.of(Map.of("role", "user", "content", "Hello"),
                                Map.of("role", "assistant", "content", "Hi"))))
                .post("/tokenize").then().statusCode(200).body("prompt", equalTo("Hello\nHi\n"));
    }

    @Test
    void tokenizeWithMessagesReturnsJinja2sPromptAndItsTokenIds() throws Exception {
        JsonNode conversation = golden("conversations.json").get(1); // system_user
        assertEquals("system_user", conversation.get("id").asText());
        String expected = golden("expected/qwen2.5.json").get("system_user").get("output").asText();
        JsonNode body = JSON.readTree(given().contentType(ContentType.JSON)
                .body(Map.of("model", ChatTemplateProfile.QWEN25, "messages", conversation.get("messages")))
                .post("/tokenize").then().statusCode(200).extract().asString());
        assertEquals(expected, body.get("prompt").asText());
        assertEquals(ChatTemplateProfile.QWEN25, body.get("model").asText());
        long[] ids = JSON.convertValue(body.get("tokens"), long[].class);
        assertEquals(ids.length, body.get("count").asInt());
        assertEquals(ids.length, body.get("token_strs").size());
        JsonNode plain = JSON.readTree(given().contentType(ContentType.JSON)
                .body(Map.of("model", ChatTemplateProfile.QWEN25, "inputs", expected))
                .post("/tokenize").then().statusCode(200).extract().asString()).get(0);
        long[] plainIds = new long[plain.size()];
        for (int i = 0; i < plainIds.length; i++) {
            plainIds[i] = plain.get(i).get("id").asLong();
        }
        assertArrayEquals(plainIds, ids);

        // Tools reach the template (its tool preamble; longer than max_input_tokens, so truncate), and
        // add_generation_prompt=false drops the assistant opening.
        JsonNode tools = golden("conversations.json").get(5);
        assertEquals("tools", tools.get("id").asText());
        String withTools = given().contentType(ContentType.JSON).body(Map.of("model", ChatTemplateProfile.QWEN25,
                        "messages", tools.get("messages"), "tools", tools.get("tools"), "truncate", true))
                .post("/tokenize").then().statusCode(200).extract().path("prompt");
        assertEquals(golden("expected/qwen2.5.json").get("tools").get("output").asText(), withTools);
        given().contentType(ContentType.JSON).body(Map.of("model", ChatTemplateProfile.QWEN25,
                        "messages", List.of(Map.of("role", "user", "content", "Hi")), "add_generation_prompt", false))
                .post("/tokenize").then().statusCode(200)
                .body("prompt", equalTo("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a "
                        + "helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"));
    }

    @Test
    void chatTemplateKwargsReachTheTemplate() {
        List<Map<String, String>> messages = List.of(Map.of("role", "user", "content", "Why is the sky blue?"));
        String thinking = given().contentType(ContentType.JSON)
                .body(Map.of("model", ChatTemplateProfile.QWEN3, "messages", messages))
                .post("/tokenize").then().statusCode(200).extract().path("prompt");
        String noThinking = given().contentType(ContentType.JSON).body(Map.of("model", ChatTemplateProfile.QWEN3,
                        "messages", messages, "chat_template_kwargs", Map.of("enable_thinking", false)))
                .post("/tokenize").then().statusCode(200).extract().path("prompt");
        assertTrue(thinking.endsWith("<|im_start|>assistant\n"), thinking);
        assertEquals(thinking + "<think>\n\n</think>\n\n", noThinking);

        // The same kwargs on chat completions: the longer prompt shows in usage.
        int plainTokens = promptTokens(Map.of("model", ChatTemplateProfile.QWEN3, "messages", messages,
                "max_tokens", 1));
        int kwargsTokens = promptTokens(Map.of("model", ChatTemplateProfile.QWEN3, "messages", messages,
                "max_tokens", 1, "chat_template_kwargs", Map.of("enable_thinking", false)));
        assertNotEquals(plainTokens, kwargsTokens);
        int tokenized = given().contentType(ContentType.JSON).body(Map.of("model", ChatTemplateProfile.QWEN3,
                        "messages", messages, "chat_template_kwargs", Map.of("enable_thinking", false)))
                .post("/tokenize").then().statusCode(200).extract().path("count");
        assertEquals(tokenized, kwargsTokens);
    }

    @Test
    void aConversationTheTemplateRejectsIsA400WithTheTemplatesMessage() {
        List<Map<String, String>> messages = List.of(Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", "Hi"));
        given().contentType(ContentType.JSON).body(Map.of("model", ChatTemplateProfile.GEMMA2, "messages", messages))
                .post("/v1/chat/completions").then().statusCode(400)
                .body("error.message", containsString("System role not supported"))
                .body("error.param", equalTo("messages"));
        given().contentType(ContentType.JSON).body(Map.of("model", ChatTemplateProfile.GEMMA2, "messages", messages))
                .post("/tokenize").then().statusCode(400).contentType(startsWith("application/problem+json"))
                .body("detail", containsString("System role not supported"));
        given().contentType(ContentType.JSON).body(Map.of("model", ChatTemplateProfile.QWEN3,
                        "messages", List.of(Map.of("role", "user", "content", "Hi")),
                        "chat_template_kwargs", Map.of("messages", List.of())))
                .post("/tokenize").then().statusCode(400).body("detail", containsString("may not set 'messages'"));
        given().contentType(ContentType.JSON).body(Map.of("model", ChatTemplateProfile.QWEN3, "inputs", "x",
                        "messages", List.of(Map.of("role", "user", "content", "Hi"))))
                .post("/tokenize").then().statusCode(400).body("detail", containsString("not both"));
    }

    private static int promptTokens(Map<String, Object> body) {
        return given().contentType(ContentType.JSON).body(body).post("/v1/chat/completions").then().statusCode(200)
                .extract().path("usage.prompt_tokens");
    }

    private static JsonNode golden(String name) throws Exception {
        return JSON.readTree(ChatTemplateProfile.resource(name));
    }
}
