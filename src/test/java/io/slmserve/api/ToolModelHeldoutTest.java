package io.slmserve.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * models/nano-llama-tools through /v1/chat/completions, greedy, on its 100 held-out questions (heldout.jsonl: number
 * pairs and dates never trained on): the reply must be a tool call (finish_reason tool_calls) of the right function
 * with the right arguments; the tool's result, computed here with Java arithmetic and java.time, goes back as a tool
 * message, and the final answer must contain it. The count must reach the card's Python measurement (within 2, for
 * libtorch 2.7.1 against torch 1.13 on near-tied logits); the calls alone must reach the card's call count likewise.
 */
@QuarkusTest
class ToolModelHeldoutTest {

    private static final Path DIR = Path.of("models/nano-llama-tools");
    private static final String MODEL = "nano-llama-tools";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/v1/chat/completions")
    URL chat;

    @Test
    void heldOutQuestionsGetTheRightCallAndAnAnswerWithItsResult() throws Exception {
        ModelWait.ready();
        List<JsonNode> items = new ArrayList<>();
        for (String line : Files.readAllLines(DIR.resolve("heldout.jsonl"))) {
            items.add(JSON.readTree(line));
        }
        assertEquals(100, items.size());
        HttpClient http = HttpClient.newHttpClient();
        ExecutorService pool = Executors.newFixedThreadPool(16);  // concurrent requests share batched steps
        List<Future<String>> outcomes = new ArrayList<>();
        try {
            for (JsonNode item : items) {
                outcomes.add(pool.submit(() -> ask(http, item)));
            }
            int calls = 0;
            int answers = 0;
            List<String> failures = new ArrayList<>();
            for (Future<String> f : outcomes) {
                String outcome = f.get();
                calls += outcome.equals("ok") || outcome.startsWith("answer") ? 1 : 0;
                answers += outcome.equals("ok") ? 1 : 0;
                if (!outcome.equals("ok")) {
                    failures.add(outcome);
                }
            }
            int card = cardCount("Python measured \\*\\*([0-9]+)/100\\*\\*");
            System.out.printf("nano-llama-tools held-out through the server: %d/100 right calls, %d/100 answers with "
                    + "the result (card, Python: %d); failures: %s%n", calls, answers, card, failures);
            assertTrue(answers >= card - 2, answers + " vs the card's " + card + ": " + failures);
            int cardCalls = cardCount("right calls: \\*\\*([0-9]+)/100\\*\\*");
            assertTrue(calls >= cardCalls - 2, calls + " right calls vs the card's " + cardCalls + ": " + failures);
        } finally {
            pool.shutdownNow();
        }
    }

    /** "ok", or why not: "call ..." (wrong or no call) or "answer ..." (right call, final answer lacks the result). */
    private String ask(HttpClient http, JsonNode item) throws Exception {
        ArrayNode messages = JSON.createArrayNode();
        if (item.hasNonNull("system")) {
            messages.addObject().put("role", "system").put("content", item.get("system").asText());
        }
        messages.addObject().put("role", "user").put("content", item.get("question").asText());
        JsonNode first = post(http, messages, item.get("tools"));
        JsonNode choice = first.path("choices").path(0);
        JsonNode call = choice.path("message").path("tool_calls").path(0);
        JsonNode expected = item.get("call");
        String question = item.get("question").asText();
        if (!"tool_calls".equals(choice.path("finish_reason").asText())
                || !expected.get("name").asText().equals(call.path("function").path("name").asText())) {
            return "call " + question + " -> " + choice.path("message");
        }
        JsonNode arguments;
        try {
            arguments = JSON.readTree(call.path("function").path("arguments").asText());
        } catch (Exception e) {
            return "call " + question + " -> " + call;
        }
        if (!expected.get("arguments").equals(arguments)) {
            return "call " + question + " -> " + arguments;
        }
        String result = result(expected.get("name").asText(), arguments);
        ObjectNode assistant = messages.addObject().put("role", "assistant");
        assistant.putNull("content");
        assistant.putArray("tool_calls").add(call);
        messages.addObject().put("role", "tool").put("tool_call_id", call.path("id").asText()).put("content", result);
        JsonNode second = post(http, messages, item.get("tools")).path("choices").path(0);
        String content = second.path("message").path("content").asText();
        return "stop".equals(second.path("finish_reason").asText()) && content.contains(result) ? "ok"
                : "answer " + question + " (" + result + ") -> " + second.path("message");
    }

    private JsonNode post(HttpClient http, ArrayNode messages, JsonNode tools) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("model", MODEL).put("temperature", 0).put("max_tokens", 64);
        body.set("messages", messages);
        body.set("tools", tools);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(chat.toString()))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** The tool, written here independently of the Python task generator. */
    static String result(String name, JsonNode args) {
        return switch (name) {
            case "add" -> Long.toString(args.get("a").asLong() + args.get("b").asLong());
            case "subtract" -> Long.toString(args.get("a").asLong() - args.get("b").asLong());
            case "multiply" -> Long.toString(args.get("a").asLong() * args.get("b").asLong());
            case "get_weekday" -> LocalDate.parse(args.get("date").asText()).getDayOfWeek()
                    .getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static int cardCount(String regex) throws Exception {
        Matcher m = Pattern.compile(regex).matcher(Files.readString(
                DIR.resolve("README.md")));
        assertTrue(m.find(), "the card states the Python measurement");
        return Integer.parseInt(m.group(1));
    }
}
