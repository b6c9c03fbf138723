package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A Llama-family folder converted by convert.py serves through the OpenAI chat endpoint and TGI streaming. */
@QuarkusTest
@TestProfile(LlamaProfile.class)
class LlamaServingApiTest {

    @BeforeEach
    void ready() {
        ModelWait.ready();
    }

    @Test
    void chatCompletionRendersTheTemplateAndDecodesGreedily() {
        JsonPath chat = given().contentType(ContentType.JSON).body(Map.of("model", LlamaProfile.MODEL, "messages",
                        List.of(Map.of("role", "user", "content", "Blessed are the meek")), "max_tokens", 12,
                        "temperature", 0))
                .post("/v1/chat/completions").then().statusCode(200).extract().jsonPath();
        assertEquals("assistant", chat.getString("choices[0].message.role"));
        String content = chat.getString("choices[0].message.content");
        assertFalse(content.isEmpty());
        // the folder's chat template renders one user message as its content and a newline
        JsonPath completion = given().contentType(ContentType.JSON).body(Map.of("model", LlamaProfile.MODEL,
                        "prompt", "Blessed are the meek\n", "max_tokens", 12, "temperature", 0))
                .post("/v1/completions").then().statusCode(200).extract().jsonPath();
        assertEquals(completion.getString("choices[0].text"), content);
        assertEquals(completion.getInt("usage.prompt_tokens"), chat.getInt("usage.prompt_tokens"));
    }

    @Test
    void streamedTokensEqualTheNonStreamedText() {
        String expected = Generate.greedy("In the beginning God created", 16);
        String body = given().contentType(ContentType.JSON)
                .body(Map.of("inputs", "In the beginning God created", "parameters", Map.of("max_new_tokens", 16)))
                .post("/generate_stream").then().statusCode(200)
                .header("Content-Type", startsWith("text/event-stream")).extract().asString();
        List<String> events = Generate.events(body);
        StringBuilder text = new StringBuilder();
        JsonPath last = null;
        for (String event : events) {
            last = JsonPath.from(event);
            text.append(last.getString("token.text"));
        }
        assertFalse(expected.isEmpty());
        assertEquals(expected, text.toString());
        assertEquals(expected, last.getString("generated_text"));
        assertEquals(events.size(), last.getInt("details.generated_tokens"));
    }
}
