package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The structured-output request fields over HTTP on nano-gpt: OpenAI response_format, vLLM guided_* and
 * structured_outputs, TGI parameters.grammar (plain and streamed); each output checked independently (networknt's
 * JSON-schema validator, java.util.regex); malformed or unsupported constraints are 400s naming the field.
 */
@QuarkusTest
@TestProfile(GenerationProfile.class)
class StructuredOutputApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    @BeforeEach
    void ready() {
        ModelWait.ready();
    }

    private static String schema(String name) throws Exception {
        return Files.readString(Path.of("src/test/resources/structured/schemas/" + name + ".json"));
    }

    private static JsonPath post(String path, Map<String, Object> body, int status) {
        return given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(status).extract()
                .jsonPath();
    }

    @Test
    void chatResponseFormatJsonSchemaValidatesForEveryChoice() throws Exception {
        String text = schema("12-anyof-objects");
        Map<String, Object> body = Map.of("messages", List.of(Map.of("role", "user", "content", "A shape")),
                "max_tokens", 120, "temperature", 1, "seed", 11, "n", 4,
                "response_format", Map.of("type", "json_schema", "json_schema",
                        Map.of("name", "shape", "strict", true, "schema", JSON.readValue(text, Map.class))));
        JsonPath reply = post("/v1/chat/completions", body, 200);
        Schema validator = SCHEMAS.getSchema(text, InputFormat.JSON);
        for (int i = 0; i < 4; i++) {
            String content = reply.getString("choices[" + i + "].message.content");
            assertEquals("stop", reply.getString("choices[" + i + "].finish_reason"), content);
            assertTrue(validator.validate(content, InputFormat.JSON).isEmpty(), content);
        }
    }

    @Test
    void completionsAcceptVllmGuidedFields() throws Exception {
        String text = schema("06-array-of-objects");
        JsonPath json = post("/v1/completions", Map.of("prompt", "Order:", "max_tokens", 150, "seed", 5,
                "guided_json", text), 200);
        assertTrue(SCHEMAS.getSchema(text, InputFormat.JSON)
                .validate(json.getString("choices[0].text"), InputFormat.JSON).isEmpty(), json.prettify());
        String regex = "[A-Z][a-z]{1,6}, [0-9]{1,2}:[0-9]{1,2}";
        String out = post("/v1/completions", Map.of("prompt", "Verse:", "max_tokens", 30, "seed", 6,
                "guided_regex", regex), 200).getString("choices[0].text");
        assertTrue(Pattern.matches(regex, out), out);
        List<String> choices = List.of("positive", "negative", "neutral");
        out = post("/v1/completions", Map.of("prompt", "Sentiment:", "max_tokens", 10, "seed", 7,
                "guided_choice", choices), 200).getString("choices[0].text");
        assertTrue(choices.contains(out), out);
        out = post("/v1/completions", Map.of("prompt", "Sentiment:", "max_tokens", 10, "seed", 8,
                "structured_outputs", Map.of("choice", choices)), 200).getString("choices[0].text");
        assertTrue(choices.contains(out), out);
        out = post("/v1/completions", Map.of("prompt", "{", "max_tokens", 200, "temperature", 0,
                "response_format", Map.of("type", "json_object")), 200).getString("choices[0].text");
        assertTrue(JSON.readTree(out).isObject(), out);
    }

    @Test
    void tgiGrammarConstrainsGenerateAndGenerateStream() throws Exception {
        String text = schema("10-defs-ref");
        Map<String, Object> params = new HashMap<>(Map.of("max_new_tokens", 100, "do_sample", true, "seed", 3,
                "grammar", Map.of("type", "json", "value", JSON.readValue(text, Map.class))));
        String generated = post("/generate", Map.of("inputs", "Points:", "parameters", params), 200)
                .getString("generated_text");
        assertTrue(SCHEMAS.getSchema(text, InputFormat.JSON).validate(generated, InputFormat.JSON).isEmpty(),
                generated);
        String regex = "(The|And) [a-z]{2,8}( [a-z]{2,8}){0,3}\\.";
        params.put("grammar", Map.of("type", "regex", "value", regex));
        String body = given().contentType(ContentType.JSON).body(Map.of("inputs", "Verse:", "parameters", params))
                .post("/generate_stream").then().statusCode(200).extract().asString();
        StringBuilder streamed = new StringBuilder();
        JsonPath last = null;
        for (String event : Generate.events(body)) {
            last = JsonPath.from(event);
            streamed.append(last.getString("token.text"));
        }
        assertTrue(Pattern.matches(regex, streamed.toString()), streamed.toString());
        assertEquals(streamed.toString(), last.getString("generated_text"));
    }

    private static void badOpenAi(Map<String, Object> extra, String param) {
        Map<String, Object> body = new HashMap<>(Map.of("prompt", "x", "max_tokens", 5));
        body.putAll(extra);
        given().contentType(ContentType.JSON).body(body).post("/v1/completions").then().statusCode(400)
                .body("error.param", equalTo(param));
    }

    @Test
    void malformedOrUnsupportedConstraintsAre400sNamingTheField() {
        badOpenAi(Map.of("response_format", Map.of("type", "yaml")), "response_format.type");
        badOpenAi(Map.of("response_format", Map.of("type", "json_schema")), "response_format.json_schema");
        badOpenAi(Map.of("response_format", Map.of("type", "json_schema", "json_schema",
                Map.of("name", "x", "schema", Map.of("type", "object", "patternProperties", Map.of())))),
                "response_format.json_schema.schema");
        badOpenAi(Map.of("guided_regex", "(a)\\1"), "guided_regex");
        badOpenAi(Map.of("guided_json", "{\"type\": "), "guided_json");
        badOpenAi(Map.of("guided_choice", List.of()), "guided_choice");
        badOpenAi(Map.of("guided_regex", "[a-z]+", "guided_choice", List.of("a")), "guided_choice");
        badOpenAi(Map.of("structured_outputs", Map.of("grammar", "root ::= x")), "structured_outputs.grammar");
        badOpenAi(Map.of("guided_json", Map.of("$defs", Map.of("n", Map.of("type", "object", "properties",
                Map.of("next", Map.of("$ref", "#/$defs/n")))), "$ref", "#/$defs/n")), "guided_json");
        given().contentType(ContentType.JSON).body(Map.of("inputs", "x", "parameters",
                Map.of("grammar", Map.of("type", "lark", "value", "x")))).post("/generate").then().statusCode(400)
                .contentType("application/problem+json").body("param", equalTo("parameters.grammar.type"))
                .body("detail", containsString("json"));
    }
}
