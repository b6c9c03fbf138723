package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Tools through /v1/chat/completions on the real engine ({@link ToolModelProfile}: nano-gpt with Qwen2.5's chat
 * template): the tools and a history of assistant tool_calls (arguments sent as JSON text) and tool results reach
 * the template as transformers passes them, checked against Python jinja2 (models/tools/render_chat_templates.py's
 * settings) by the prompt's token count and the greedy reply; tool_choice none leaves the tools out; the
 * reasoning parser moves the reply to reasoning_content, streamed too; bad tool definitions are 400s naming the
 * field. nano-gpt calls no tools: parsing calls out of a reply is OutputParserTest's.
 */
@QuarkusTest
@TestProfile(ToolModelProfile.class)
class ToolCallingApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Kept short: Qwen's tool preamble and nano-gpt's Bible-trained tokenizer leave little of 512 positions. */
    private static final Map<String, Object> ADD = Map.of("type", "function", "function", Map.of(
            "name", "add", "parameters", Map.of("type", "object", "properties", Map.of("a", Map.of("type", "number"),
                    "b", Map.of("type", "number")))));

    /** The conversation as the API carries it: the assistant's arguments are JSON text. */
    private static List<Map<String, Object>> apiMessages() {
        Map<String, Object> assistant = new HashMap<>();
        assistant.put("role", "assistant");
        assistant.put("content", null);
        assistant.put("tool_calls", List.of(Map.of("id", "call_1", "type", "function",
                "function", Map.of("name", "add", "arguments", "{\"a\": 2, \"b\": 3.5}"))));
        return List.of(Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", "What is 2 + 3.5?"), assistant,
                Map.of("role", "tool", "tool_call_id", "call_1", "content", "5.5"));
    }

    /** The same conversation as transformers hands it to the template: arguments as a mapping. */
    private static List<Map<String, Object>> templateMessages() {
        List<Map<String, Object>> out = new ArrayList<>(apiMessages());
        Map<String, Object> assistant = new HashMap<>(out.get(2));
        assistant.put("tool_calls", List.of(Map.of("id", "call_1", "type", "function",
                "function", Map.of("name", "add", "arguments", Map.of("a", 2, "b", 3.5)))));
        out.set(2, assistant);
        return out;
    }

    /** Python jinja2's rendering with transformers' settings. */
    private static String jinja2(List<Map<String, Object>> messages, List<Map<String, Object>> tools)
            throws IOException, InterruptedException {
        String script = "import json, sys\nsys.path.insert(0, 'models/tools')\n"
                + "from render_chat_templates import compile_template\n"
                + "case = json.load(sys.stdin)\n"
                + "t = compile_template(open(case['template'], encoding='utf-8').read())\n"
                + "sys.stdout.write(t.render(messages=case['messages'], tools=case['tools'], "
                + "add_generation_prompt=True, bos_token='', eos_token='<|endoftext|>'))\n";
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", script).start();
        Map<String, Object> input = new HashMap<>();
        input.put("template", ToolModelProfile.TEMPLATE.toString());
        input.put("messages", messages);
        input.put("tools", tools);
        try (var in = p.getOutputStream()) {
            in.write(JSON.writeValueAsBytes(input));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "jinja2 failed: " + err);
        return out;
    }

    private static JsonPath chat(Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(Map.of("model", ToolModelProfile.MODEL, "messages", apiMessages(),
                "max_tokens", 6, "temperature", 0));
        body.putAll(extra);
        return given().contentType(ContentType.JSON).body(body).post("/v1/chat/completions").then().statusCode(200)
                .extract().jsonPath();
    }

    private static JsonPath complete(String prompt) {
        return given().contentType(ContentType.JSON).body(Map.of("model", ToolModelProfile.MODEL, "prompt", prompt,
                "max_tokens", 6, "temperature", 0)).post("/v1/completions").then().statusCode(200)
                .extract().jsonPath();
    }

    @Test
    void toolsAndToolCallsReachTheTemplateAsTransformersPassesThem() throws Exception {
        ModelWait.ready();
        JsonPath reference = complete(jinja2(templateMessages(), List.of(ADD)));
        JsonPath reply = chat(Map.of("tools", List.of(ADD)));
        assertEquals(reference.getInt("usage.prompt_tokens"), reply.getInt("usage.prompt_tokens"));
        // deepseek_r1: a reply that never closes </think> is all reasoning; the greedy text is the reference's.
        assertEquals(reference.getString("choices[0].text"), reply.getString("choices[0].message.reasoning_content"));
        assertNull(reply.get("choices[0].message.content"));
        assertEquals("length", reply.getString("choices[0].finish_reason"));

        JsonPath none = chat(Map.of("tools", List.of(ADD), "tool_choice", "none"));
        JsonPath withoutTools = complete(jinja2(templateMessages(), null));
        assertEquals(withoutTools.getInt("usage.prompt_tokens"), none.getInt("usage.prompt_tokens"));
        assertTrue(none.getInt("usage.prompt_tokens") < reply.getInt("usage.prompt_tokens"), "tools left out");
    }

    @Test
    void streamedReasoningAddsUpToTheWholeReply() {
        ModelWait.ready();
        JsonPath whole = chat(Map.of("tools", List.of(ADD), "tool_choice", "auto"));
        String stream = given().contentType(ContentType.JSON).body(Map.of("model", ToolModelProfile.MODEL,
                        "messages", apiMessages(), "tools", List.of(ADD), "max_tokens", 6, "temperature", 0,
                        "stream", true)).post("/v1/chat/completions").then().statusCode(200).extract().asString();
        StringBuilder reasoning = new StringBuilder();
        String finish = null;
        for (String line : stream.split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                continue;
            }
            JsonPath chunk = JsonPath.from(line.substring(6));
            String piece = chunk.getString("choices[0].delta.reasoning_content");
            reasoning.append(piece == null ? "" : piece);
            assertNull(chunk.get("choices[0].delta.content") instanceof String s && !s.isEmpty() ? s : null, line);
            finish = chunk.getString("choices[0].finish_reason") != null ? chunk.getString("choices[0].finish_reason")
                    : finish;
        }
        assertEquals(whole.getString("choices[0].message.reasoning_content"), reasoning.toString());
        assertEquals("length", finish);
    }

    @Test
    void badToolsAndToolChoicesAre400sNamingTheField() {
        ModelWait.ready();
        Map<String, Object> notSchema = Map.of("type", "function", "function", Map.of("name", "f",
                "parameters", "a string"));
        Map<String, Object> badName = Map.of("type", "function", "function", Map.of("name", "get weather"));
        Map<String, Object> retrieval = Map.of("type", "retrieval");
        Map<String, Object> stringSchema = Map.of("type", "function", "function", Map.of("name", "f",
                "parameters", Map.of("type", "string")));
        Map<String, Object> listProperties = Map.of("type", "function", "function", Map.of("name", "f",
                "parameters", Map.of("type", "object", "properties", List.of("a", "b"))));
        Map<String, Object> other = Map.of("type", "function", "function", Map.of("name", "other"));
        Object[][] cases = {
            {Map.of("tools", List.of(notSchema)), "tools[0].function.parameters"},
            {Map.of("tools", List.of(ADD, stringSchema)), "tools[1].function.parameters"},
            {Map.of("tools", List.of(listProperties)), "tools[0].function.parameters"},
            {Map.of("tools", List.of(ADD, ADD)), "tools[1].function.name"},
            {Map.of("tools", List.of(ADD, other, ADD)), "tools[2].function.name"},
            {Map.of("tools", List.of("add")), "tools[0]"},
            {Map.of("tools", List.of(Map.of("type", "function"))), "tools[0].function"},
            {Map.of("tools", List.of(badName)), "tools[0].function.name"},
            {Map.of("tools", List.of(retrieval)), "tools[0].type"},
            {Map.of("tools", List.of(ADD), "tool_choice", Map.of("type", "function", "function",
                    Map.of("name", "sub"))), "tool_choice"},
            {Map.of("tools", List.of(ADD), "tool_choice", "sometimes"), "tool_choice"},
            {Map.of("tool_choice", "required"), "tool_choice"},
        };
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            Map<String, Object> body = new HashMap<>((Map<String, Object>) c[0]);
            body.put("messages", apiMessages());
            given().contentType(ContentType.JSON).body(body).post("/v1/chat/completions").then().statusCode(400)
                    .body("error.param", equalTo(c[1])).body("error.type", equalTo("invalid_request_error"));
        }
        List<Map<String, Object>> brokenArguments = new ArrayList<>(apiMessages());
        brokenArguments.set(2, Map.of("role", "assistant", "tool_calls", List.of(Map.of("id", "call_1",
                "type", "function", "function", Map.of("name", "add", "arguments", "{\"a\": 2,")))));
        given().contentType(ContentType.JSON).body(Map.of("messages", brokenArguments, "tools", List.of(ADD)))
                .post("/v1/chat/completions").then().statusCode(400)
                .body("error.param", equalTo("messages[2].tool_calls[0].function.arguments"));
        List<Map<String, Object>> noCallId = new ArrayList<>(apiMessages());
        noCallId.set(3, Map.of("role", "tool", "content", "5.5"));
        given().contentType(ContentType.JSON).body(Map.of("messages", noCallId)).post("/v1/chat/completions").then()
                .statusCode(400).body("error.param", equalTo("messages[3].tool_call_id"))
                .body("error.message", containsString("tool_call_id"));
    }
}
