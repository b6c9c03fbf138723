package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * tool_choice required and a named function on the real engine ({@link ToolModelProfile}: nano-gpt behind Qwen2.5's
 * chat template, so the hermes format): random weights sampled at temperature 1 would never write a call unaided,
 * so every reply being a parsed call whose arguments pass networknt's validator against the declared schema shows
 * the constraint at work; streamed too. Combining forcing with response_format is a 400 naming the field.
 */
@QuarkusTest
@TestProfile(ToolModelProfile.class)
class ForcedToolCallApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    /** Tiny schemas: Qwen's tool preamble in nano-gpt's Bible-trained tokenizer takes most of 512 positions. */
    private static final Map<String, Object> ADD_PARAMETERS = Map.of(
            "properties", Map.of("a", Map.of("type", "integer", "maximum", 9)));
    private static final Map<String, Object> UNIT_PARAMETERS = Map.of(
            "properties", Map.of("u", Map.of("enum", List.of("c", "f"))));
    private static final Map<String, Map<String, Object>> PARAMETERS = Map.of("add", ADD_PARAMETERS,
            "w", UNIT_PARAMETERS);
    private static final List<Map<String, Object>> TOOLS = List.of(
            Map.of("type", "function", "function", Map.of("name", "add", "parameters", ADD_PARAMETERS)),
            Map.of("type", "function", "function", Map.of("name", "w", "parameters", UNIT_PARAMETERS)));

    @BeforeEach
    void ready() {
        ModelWait.ready();
    }

    private static Map<String, Object> body(Object choice, long seed) {
        return body(ToolModelProfile.MODEL, choice, seed);
    }

    private static Map<String, Object> body(String model, Object choice, long seed) {
        Map<String, Object> body = new HashMap<>(Map.of("model", model, "messages",
                List.of(Map.of("role", "user", "content", "?")), "tools", TOOLS, "tool_choice", choice,
                "temperature", 1, "seed", seed, "parallel_tool_calls", false));
        return body;
    }

    /** The call's name is declared (or the named one) and its arguments validate against that tool's schema. */
    private static void assertValidCall(String name, String arguments, String only) throws Exception {
        assertTrue(PARAMETERS.containsKey(name), name);
        if (only != null) {
            assertEquals(only, name);
        }
        // The declared schema, made strict (an object, nothing undeclared), as the forced reply must be.
        Map<String, Object> strict = new HashMap<>(PARAMETERS.get(name));
        strict.put("type", "object");
        strict.put("additionalProperties", false);
        String schema = JSON.writeValueAsString(strict);
        assertTrue(SCHEMAS.getSchema(schema, InputFormat.JSON).validate(arguments, InputFormat.JSON).isEmpty(),
                name + " " + arguments);
    }

    @Test
    void requiredAndNamedChoicesAlwaysGiveAValidCall() throws Exception {
        Object named = Map.of("type", "function", "function", Map.of("name", "w"));
        for (Object choice : new Object[] {"required", named}) {
            String only = choice instanceof String ? null : "w";
            for (long seed = 1; seed <= 4; seed++) {
                JsonPath reply = given().contentType(ContentType.JSON).body(body(choice, seed))
                        .post("/v1/chat/completions").then().log().ifValidationFails().statusCode(200).extract().jsonPath();
                String at = "seed " + seed + " " + choice + ": " + reply.prettify();
                assertEquals("tool_calls", reply.getString("choices[0].finish_reason"), at);
                assertEquals(1, reply.getList("choices[0].message.tool_calls").size(), at);
                assertNull(reply.get("choices[0].message.reasoning_content"), at);
                assertValidCall(reply.getString("choices[0].message.tool_calls[0].function.name"),
                        reply.getString("choices[0].message.tool_calls[0].function.arguments"), only);
            }
        }
    }

    @Test
    void aStreamedForcedCallArrivesAsToolCallDeltas() throws Exception {
        Map<String, Object> body = body("required", 7);
        body.put("stream", true);
        String stream = given().contentType(ContentType.JSON).body(body).post("/v1/chat/completions").then()
                .statusCode(200).extract().asString();
        String name = null;
        StringBuilder arguments = new StringBuilder();
        String finish = null;
        for (String line : stream.split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                continue;
            }
            JsonPath chunk = JsonPath.from(line.substring(6));
            if (chunk.get("choices[0].delta.tool_calls") != null) {
                String piece = chunk.getString("choices[0].delta.tool_calls[0].function.name");
                name = piece != null ? piece : name;
                String args = chunk.getString("choices[0].delta.tool_calls[0].function.arguments");
                arguments.append(args == null ? "" : args);
            }
            finish = chunk.getString("choices[0].finish_reason") != null ? chunk.getString("choices[0].finish_reason")
                    : finish;
        }
        assertEquals("tool_calls", finish, stream);
        assertFalse(arguments.isEmpty(), stream);
        assertValidCall(name, arguments.toString(), null);
    }

    @Test
    void llama3JsonModelsAreForcedToTheirBareObject() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            JsonPath reply = given().contentType(ContentType.JSON).body(body(ToolModelProfile.LLAMA3, "required", seed))
                    .post("/v1/chat/completions").then().statusCode(200).extract().jsonPath();
            String at = "seed " + seed + ": " + reply.prettify();
            assertEquals("tool_calls", reply.getString("choices[0].finish_reason"), at);
            assertValidCall(reply.getString("choices[0].message.tool_calls[0].function.name"),
                    reply.getString("choices[0].message.tool_calls[0].function.arguments"), null);
        }
    }

    @Test
    void aMistralModelCannotBeForcedAndSaysSo() {
        given().contentType(ContentType.JSON).body(body(ToolModelProfile.MISTRAL, "required", 1))
                .post("/v1/chat/completions").then().statusCode(400).body("error.param", equalTo("tool_choice"))
                .body("error.message", containsString("hermes or llama3_json"));
    }

    @Test
    void forcingWithResponseFormatIsA400NamingTheField() {
        Map<String, Object> body = body("required", 1);
        body.put("response_format", Map.of("type", "json_object"));
        given().contentType(ContentType.JSON).body(body).post("/v1/chat/completions").then().statusCode(400)
                .body("error.param", equalTo("response_format"))
                .body("error.message", containsString("tool_choice"));
    }
}
