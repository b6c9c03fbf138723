package io.slmserve.clients;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.Response;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.slmserve.api.ModelWait;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI models (langchain4j-open-ai, JDK HTTP client) against this server's /v1 endpoints. */
@QuarkusTest
class LangChain4jClientTest {

    private static final String PROMPT = "Blessed are the meek";
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @TestHTTPResource("/v1")
    URL v1;

    @BeforeEach
    void ready() {
        ModelWait.ready();
    }

    @Test
    void embeddingModelMatchesTheNativeEmbedEndpoint() {
        List<String> texts = List.of("The cat sits on the mat.", "A dog plays in the park.");
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().baseUrl(v1.toString()).apiKey("unused")
                .modelName("all-minilm-l6-v2").timeout(TIMEOUT).maxRetries(0).build();
        Response<List<Embedding>> response = model.embedAll(texts.stream().map(TextSegment::from).toList());
        float[][] expected = given().contentType(ContentType.JSON).body(Map.of("inputs", texts))
                .post("/embed").then().statusCode(200).extract().as(float[][].class);
        assertEquals(2, response.content().size());
        for (int i = 0; i < texts.size(); i++) {
            float[] got = response.content().get(i).vector();
            assertEquals(384, got.length);
            assertEquals(1.0, cosine(got, expected[i]), 1e-5, "text " + i);
        }
        assertEquals(384, model.dimension(), "dimension(), learnt from the server");
        assertTrue(response.tokenUsage().inputTokenCount() > 0, "usage reported");
    }

    @Test
    void chatModelAndStreamingChatModelAgree() throws Exception {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(v1.toString()).apiKey("unused")
                .modelName("nano-gpt").temperature(0.0).maxTokens(20).timeout(TIMEOUT).maxRetries(0).build();
        String reply = chat.chat(PROMPT);
        assertFalse(reply.isEmpty(), "non-empty reply");

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(v1.toString())
                .apiKey("unused").modelName("nano-gpt").temperature(0.0).maxTokens(20).timeout(TIMEOUT).build();
        List<String> tokens = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(PROMPT, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
                tokens.add(partialResponse);
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse complete = done.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertFalse(tokens.isEmpty(), "partial responses arrived");
        assertEquals(complete.aiMessage().text(), String.join("", tokens), "tokens concatenate to the response");
        assertEquals(reply, complete.aiMessage().text(), "greedy: streamed equals non-streamed");
        assertTrue(complete.tokenUsage() != null && complete.tokenUsage().outputTokenCount() > 0, "usage chunk");
    }

    /**
     * Tools and a tool-call history as LangChain4j sends them (tools with a JSON schema, an AiMessage with a tool
     * execution request, its result): nano-gpt calls no tools, so the reply is text, the same greedy text as the
     * equivalent request sent by hand.
     */
    @Test
    void chatModelSendsToolsAndToolHistory() {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(v1.toString()).apiKey("unused")
                .modelName("nano-gpt").temperature(0.0).maxTokens(12).timeout(TIMEOUT).maxRetries(0).build();
        ToolSpecification weather = ToolSpecification.builder().name("get_weather").description("Current weather")
                .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build()).build();
        ChatRequest request = ChatRequest.builder().toolSpecifications(weather).messages(
                UserMessage.from("Weather in Paris?"),
                AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("get_weather")
                        .arguments("{\"city\": \"Paris\"}").build()),
                ToolExecutionResultMessage.from("call_1", "get_weather", "{\"temperature\": 21}")).build();
        ChatResponse response = chat.chat(request);
        assertFalse(response.aiMessage().hasToolExecutionRequests());
        Map<String, Object> assistant = new java.util.HashMap<>();
        assistant.put("role", "assistant");
        assistant.put("content", null);
        assistant.put("tool_calls", List.of(Map.of("id", "call_1", "type", "function", "function",
                Map.of("name", "get_weather", "arguments", "{\"city\": \"Paris\"}"))));
        String expected = given().contentType(ContentType.JSON).body(Map.of("model", "nano-gpt", "temperature", 0,
                "max_tokens", 12, "messages", List.of(Map.of("role", "user", "content", "Weather in Paris?"), assistant,
                        Map.of("role", "tool", "tool_call_id", "call_1", "content", "{\"temperature\": 21}")),
                "tools", List.of(Map.of("type", "function", "function", Map.of("name", "get_weather",
                        "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string")),
                                "required", List.of("city")))))))
                .post("/v1/chat/completions").then().statusCode(200).extract().path("choices[0].message.content");
        assertFalse(expected.isEmpty());
        assertEquals(expected, response.aiMessage().text());
    }

    /** models/nano-llama-tools' task tools, as LangChain4j specifies them (the descriptions it was trained with). */
    private static List<ToolSpecification> taskTools() {
        JsonObjectSchema ab = JsonObjectSchema.builder().addIntegerProperty("a").addIntegerProperty("b")
                .required("a", "b").build();
        return List.of(
                ToolSpecification.builder().name("add").description("Add two integers.").parameters(ab).build(),
                ToolSpecification.builder().name("subtract").description("Subtract b from a.").parameters(ab).build(),
                ToolSpecification.builder().name("multiply").description("Multiply two integers.").parameters(ab)
                        .build(),
                ToolSpecification.builder().name("get_weekday").description("Day of the week of a date.")
                        .parameters(JsonObjectSchema.builder().addStringProperty("date").required("date").build())
                        .build());
    }

    /** The call's arguments as JSON, checked against the tool's schema (integers a and b, nothing else). */
    private static Map<String, Object> integerArguments(ToolExecutionRequest call) throws Exception {
        Map<String, Object> args = new com.fasterxml.jackson.databind.ObjectMapper().readValue(call.arguments(),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
        assertEquals(java.util.Set.of("a", "b"), args.keySet(), call.arguments());
        assertTrue(args.values().stream().allMatch(v -> v instanceof Integer), call.arguments());
        return args;
    }

    /**
     * A model trained to call tools (models/nano-llama-tools), through OpenAiChatModel: it asks for multiply with
     * integer arguments, the tool runs here on them, its result goes back as a ToolExecutionResultMessage, and a
     * final answer in text comes back. (Whether the arguments are the question's numbers is ToolModelHeldoutTest's
     * measurement: the model often miscopies digits; small numbers keep the copying short.)
     */
    @Test
    void chatModelGetsAToolCallAndAnswersWithTheResult() throws Exception {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(v1.toString()).apiKey("unused")
                .modelName("nano-llama-tools").temperature(0.0).maxTokens(64).timeout(TIMEOUT).maxRetries(0).build();
        UserMessage question = UserMessage.from("What is 11 times 39?");
        ChatResponse first = chat.chat(ChatRequest.builder().toolSpecifications(taskTools()).messages(question)
                .build());
        assertEquals(dev.langchain4j.model.output.FinishReason.TOOL_EXECUTION, first.finishReason());
        assertEquals(1, first.aiMessage().toolExecutionRequests().size());
        ToolExecutionRequest call = first.aiMessage().toolExecutionRequests().get(0);
        assertEquals("multiply", call.name());
        Map<String, Object> args = integerArguments(call);
        String result = Integer.toString((Integer) args.get("a") * (Integer) args.get("b"));
        ChatResponse second = chat.chat(ChatRequest.builder().toolSpecifications(taskTools()).messages(question,
                first.aiMessage(), ToolExecutionResultMessage.from(call, result)).build());
        assertFalse(second.aiMessage().hasToolExecutionRequests());
        // an answer in text, not another call; whether it quotes the result exactly is the model's accuracy,
        // which ToolModelHeldoutTest measures (the model miscopies digits: see its card)
        assertTrue(second.aiMessage().text().matches("(?s).*\\d.*"), second.aiMessage().text());
    }

    /** The same through OpenAiStreamingChatModel, which assembles the streamed tool-call deltas itself. */
    @Test
    void streamingChatModelGetsAToolCallAndAnswersWithTheResult() throws Exception {
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(v1.toString())
                .apiKey("unused").modelName("nano-llama-tools").temperature(0.0).maxTokens(64).timeout(TIMEOUT)
                .build();
        UserMessage question = UserMessage.from("What is 44 minus 11?");
        ChatResponse first = stream(streaming, ChatRequest.builder().toolSpecifications(taskTools())
                .messages(question).build());
        assertEquals(dev.langchain4j.model.output.FinishReason.TOOL_EXECUTION, first.finishReason());
        assertEquals(1, first.aiMessage().toolExecutionRequests().size());
        ToolExecutionRequest call = first.aiMessage().toolExecutionRequests().get(0);
        assertEquals("subtract", call.name());
        assertTrue(call.id() != null && call.id().startsWith("call_"), call.id());
        Map<String, Object> args = integerArguments(call);
        String result = Integer.toString((Integer) args.get("a") - (Integer) args.get("b"));
        ChatResponse second = stream(streaming, ChatRequest.builder().toolSpecifications(taskTools())
                .messages(question, first.aiMessage(), ToolExecutionResultMessage.from(call, result)).build());
        assertFalse(second.aiMessage().hasToolExecutionRequests());
        // an answer in text, not another call; whether it quotes the result exactly is the model's accuracy,
        // which ToolModelHeldoutTest measures (the model miscopies digits: see its card)
        assertTrue(second.aiMessage().text().matches("(?s).*\\d.*"), second.aiMessage().text());
    }

    private static ChatResponse stream(OpenAiStreamingChatModel model, ChatRequest request) throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        return done.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void languageModelUsesCompletions() {
        OpenAiLanguageModel model = OpenAiLanguageModel.builder().baseUrl(v1.toString()).apiKey("unused")
                .modelName("nano-gpt").temperature(0.0).timeout(TIMEOUT).maxRetries(0).build();
        Response<String> response = model.generate("In the beginning");
        // The same request without the client: max_tokens left to the server's default (16), greedy.
        String expected = given().contentType(ContentType.JSON)
                .body(Map.of("model", "nano-gpt", "prompt", "In the beginning", "temperature", 0))
                .post("/v1/completions").then().statusCode(200).extract().path("choices[0].text");
        assertFalse(response.content().isEmpty());
        assertEquals(expected, response.content());
        assertTrue(response.tokenUsage().outputTokenCount() > 0);
    }

    /** LangChain4j's structured output: a JSON-schema response format on a chat request, sampled at temperature 1. */
    @Test
    void chatModelJsonSchemaResponseFormatIsHonoured() throws Exception {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(v1.toString()).apiKey("unused")
                .modelName("nano-gpt").temperature(1.0).maxTokens(80).timeout(TIMEOUT).maxRetries(0).build();
        dev.langchain4j.model.chat.request.json.JsonObjectSchema root =
                dev.langchain4j.model.chat.request.json.JsonObjectSchema.builder()
                        .addEnumProperty("book", List.of("Genesis", "Exodus", "Psalms"))
                        .addIntegerProperty("chapter")
                        .addBooleanProperty("poetry")
                        .required("book", "chapter", "poetry")
                        .additionalProperties(false)
                        .build();
        dev.langchain4j.model.chat.request.ResponseFormat format =
                dev.langchain4j.model.chat.request.ResponseFormat.builder()
                        .type(dev.langchain4j.model.chat.request.ResponseFormatType.JSON)
                        .jsonSchema(dev.langchain4j.model.chat.request.json.JsonSchema.builder().name("Passage")
                                .rootElement(root).build())
                        .build();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (int i = 0; i < 3; i++) {
            ChatResponse response = chat.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                    .messages(dev.langchain4j.data.message.UserMessage.from("Name a passage"))
                    .responseFormat(format).build());
            com.fasterxml.jackson.databind.JsonNode value = json.readTree(response.aiMessage().text());
            assertEquals(List.of("book", "chapter", "poetry"), iterator(value.fieldNames()), value.toString());
            assertTrue(List.of("Genesis", "Exodus", "Psalms").contains(value.get("book").asText()), value.toString());
            assertTrue(value.get("chapter").isIntegralNumber(), value.toString());
            assertTrue(value.get("poetry").isBoolean(), value.toString());
        }
    }

    private static List<String> iterator(java.util.Iterator<String> names) {
        List<String> out = new java.util.ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * (double) b[i];
            na += a[i] * (double) a[i];
            nb += b[i] * (double) b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
