package io.slmserve.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Builds fuzz requests from a seeded generator: each starts from a valid body of one endpoint and breaks it in one
 * way that makes it invalid by construction (so every answer must be a 4xx). Generation bodies ask for one token,
 * so a case that were wrongly accepted would still be short.
 */
final class FuzzCases {

    /** One request: what kind of damage, and the request itself. */
    record Case(String kind, String method, String path, String contentType, byte[] body) {
        HttpRequest request(String base) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                    .header("X-Request-Timeout", "10");
            if (contentType != null) {
                b.header("Content-Type", contentType);
            }
            return b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body)).build();
        }

        @Override
        public String toString() {
            String text = body == null ? "" : new String(body, 0, Math.min(body.length, 160), StandardCharsets.UTF_8);
            return kind + " " + method + " " + path + " [" + contentType + "] " + text;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MASK = "[MASK]";

    /** A valid body per endpoint. */
    private static final Map<String, String> BASE = Map.ofEntries(
            Map.entry("/v1/embeddings", "{\"input\": \"hello\"}"),
            Map.entry("/embed", "{\"inputs\": \"hello\"}"),
            Map.entry("/v1/completions", "{\"prompt\": \"In\", \"max_tokens\": 1}"),
            Map.entry("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"In\"}], \"max_tokens\": 1}"),
            Map.entry("/generate", "{\"inputs\": \"In\", \"parameters\": {\"max_new_tokens\": 1}}"),
            Map.entry("/generate_stream", "{\"inputs\": \"In\", \"parameters\": {\"max_new_tokens\": 1}}"),
            Map.entry("/rerank", "{\"query\": \"a\", \"texts\": [\"b\"]}"),
            Map.entry("/predict", "{\"inputs\": \"a\"}"),
            Map.entry("/fill-mask", "{\"inputs\": \"a " + MASK + " b\"}"),
            Map.entry("/tokenize", "{\"inputs\": \"a\", \"model\": \"all-minilm-l6-v2\"}"),
            Map.entry("/decode", "{\"ids\": [101], \"model\": \"all-minilm-l6-v2\"}"));
    private static final List<String> PATHS = List.copyOf(new java.util.TreeSet<>(BASE.keySet()));

    private static final String SAMPLING = "temperature=-0.1|2.5|\"hot\"|[];top_p=0|1.5|-1|\"x\";top_k=-2|\"x\"|1.5;"
            + "min_p=-0.1|1.5;presence_penalty=3|-3|\"x\";frequency_penalty=2.5|-2.5;repetition_penalty=0|-1;"
            + "seed=\"x\"|1.5|1e30;n=0|17|-1|1000|\"2\";stop=5|[1]|[\"a\",\"b\",\"c\",\"d\",\"e\"]|[\"\"]|{};"
            + "min_tokens=-1|5;stop_token_ids=[-1]|[\"a\"]|[99999999];ignore_eos=\"yes\"|1;stream=\"yes\"|1;"
            + "stream_options=5|{\"include_usage\":\"yes\"};model=5|true|[]|{}|\"no-such-model\"|\"all-minilm-l6-v2\";"
            + "user=5|[]";
    private static final String TGI = "inputs=5|null|\"\"|[]|{};parameters=5|\"x\"|[];"
            + "parameters.max_new_tokens=0|-1|100000|\"x\"|1.5;parameters.temperature=-1|\"x\";parameters.top_k=-2|\"x\";"
            + "parameters.top_p=0|1.5;parameters.typical_p=0|2;parameters.repetition_penalty=0|-1;"
            + "parameters.top_n_tokens=21|-1;parameters.stop=[\"a\",\"b\",\"c\",\"d\",\"e\"]|[\"\"]|5;"
            + "parameters.seed=\"x\"|1.5;parameters.do_sample=\"yes\"|1;parameters.details=1;"
            + "parameters.return_full_text=\"x\";model=5|\"no-such-model\"|\"all-minilm-l6-v2\"";
    /** Invalid values per endpoint and field ("a.b" is a nested field). */
    private static final Map<String, String> FIELDS = Map.ofEntries(
            Map.entry("/v1/embeddings", "input=5|true|{}|[]|[5,\"a\"]|[[1.5]]|[[-1]]|[[99999999]]|\"\"|[\"\"]|null|[[]]"
                    + "|[[[\"x\"]]];model=5|true|[]|{}|\"no-such-model\"|\"nano-gpt\";dimensions=\"a\"|0|-1|385|1.5"
                    + "|2147483648|true;encoding_format=\"int8\"|1|[]|\"binary\";user=5|{}"),
            Map.entry("/embed", "inputs=5|true|{}|[]|[1,2]|[[1]]|\"\"|[\"\"]|null;truncate=\"yes\"|1|[];"
                    + "normalize=1|\"no\"|{};dimensions=0|385|\"x\";model=5|\"no-such-model\""),
            Map.entry("/v1/completions", "prompt=5|[]|[\"a\",\"b\"]|{}|\"\"|null|[1,2];"
                    + "max_tokens=0|-1|\"5\"|1.5|100000|true;logprobs=-1|21|\"x\"|true;echo=\"x\";" + SAMPLING),
            Map.entry("/v1/chat/completions", "messages=[]|5|\"hi\"|[5]|[{\"content\":\"x\"}]|"
                    + "[{\"role\":\"user\",\"content\":5}]|[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]|"
                    + "[{\"role\":\"\",\"content\":\"x\"}]|null;max_tokens=0|-1|100000;max_completion_tokens=0|100000;"
                    + "logprobs=\"x\"|1;top_logprobs=5|21|-1;" + SAMPLING),
            Map.entry("/generate", TGI),
            Map.entry("/generate_stream", TGI),
            Map.entry("/rerank", "query=\"\"|5|null|[];texts=[]|\"b\"|[5]|[\"\"]|null|{};return_text=\"x\";truncate=1;"
                    + "model=5|\"no-such-model\"|\"nano-gpt\""),
            Map.entry("/predict", "inputs=5|[]|\"\"|{}|null;top_k=0|-1|1000|\"x\";raw_scores=\"x\";"
                    + "truncate=\"x\";model=\"all-minilm-l6-v2\"|7"),
            Map.entry("/fill-mask", "inputs=\"no mask here\"|\"" + MASK + " " + MASK + "\"|5|[]|\"\"|null;"
                    + "top_k=0|101|-1|\"x\";model=\"nano-gpt\"|[]"),
            Map.entry("/tokenize", "inputs=5|[]|{}|null|[1];model=5|\"no-such-model\";truncate=\"x\""),
            Map.entry("/decode", "ids=[]|\"x\"|[-1]|[1.5]|[99999999]|{}|null|[[1]];skip_special_tokens=\"x\";"
                    + "model=\"no-such-model\"|5"));

    private static final byte[][] BAD_UTF8 = {
        {(byte) 0xff}, {(byte) 0xc3, 0x28}, {(byte) 0x80}, {(byte) 0xe2, (byte) 0x82}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80},
        {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xfe, (byte) 0xfe}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}};
    private static final String[] BAD_TYPES = {"text/plain", "application/xml", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/octet-stream", "application/json-patch+json", "image/png"};
    private static final byte[] HUGE = hugeBody();

    private final Random random;
    private int count;

    FuzzCases(Random random) {
        this.random = random;
    }

    Case next() {
        count++;
        String path = PATHS.get(random.nextInt(PATHS.size()));
        int roll = random.nextInt(1000);
        try {
            if (roll < 420) {
                return field(path);
            } else if (roll < 520) {
                String base = BASE.get(path);
                return json("truncated", path, base.substring(0, random.nextInt(base.length())).getBytes(StandardCharsets.UTF_8));
            } else if (roll < 600) {
                byte[] junk = new byte[1 + random.nextInt(200)];
                random.nextBytes(junk);
                String starts = "{[\"x1-tn\u00ff";
                junk[0] = (byte) starts.charAt(random.nextInt(starts.length()));
                return json("random-bytes", path, junk);
            } else if (roll < 680) {
                return invalidUtf8(path);
            } else if (roll < 730) {
                return nested(path);
            } else if (roll < 780) {
                String[] roots = {"[]", "5", "\"x\"", "null", "true", "[{}]", "{} {}", "{\"a\": 1} x"};
                return json("root", path, roots[random.nextInt(roots.length)].getBytes(StandardCharsets.UTF_8));
            } else if (roll < 850) {
                return new Case("content-type", "POST", path, BAD_TYPES[random.nextInt(BAD_TYPES.length)],
                        BASE.get(path).getBytes(StandardCharsets.UTF_8));
            } else if (roll < 900) {
                return oversizedValues(path);
            } else if (roll < 903) {
                return json("over-4M", path, HUGE);
            } else {
                return management();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Case json(String kind, String path, byte[] body) {
        return new Case(kind, "POST", path, "application/json", body);
    }

    /** One field set to a value that is invalid for it. */
    private Case field(String path) throws Exception {
        String[] fields = FIELDS.get(path).split(";");
        String[] spec = fields[random.nextInt(fields.length)].split("=", 2);
        String[] values = spec[1].split("\\|");
        String value = values[random.nextInt(values.length)];
        ObjectNode body = (ObjectNode) JSON.readTree(BASE.get(path));
        String[] names = spec[0].split("\\.");
        ObjectNode target = body;
        for (int i = 0; i < names.length - 1; i++) {
            target = (ObjectNode) target.get(names[i]);
        }
        target.set(names[names.length - 1], JSON.readTree(value));
        return json("field:" + spec[0], path, JSON.writeValueAsBytes(body));
    }

    /** The first string value of the valid body, with broken UTF-8 inside it. */
    private Case invalidUtf8(String path) {
        String base = BASE.get(path);
        int open = base.indexOf(": \"") + 3;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(base.substring(0, open).getBytes(StandardCharsets.UTF_8));
        out.writeBytes("ab".getBytes(StandardCharsets.UTF_8));
        out.writeBytes(BAD_UTF8[random.nextInt(BAD_UTF8.length)]);
        out.writeBytes(base.substring(open).getBytes(StandardCharsets.UTF_8));
        return json("invalid-utf8", path, out.toByteArray());
    }

    /** The first field replaced by arrays or objects nested 3 to 3000 deep (Jackson stops at 1000). */
    private Case nested(String path) throws Exception {
        String first = JSON.readTree(BASE.get(path)).fieldNames().next();
        int depth = 3 + random.nextInt(random.nextBoolean() ? 50 : 3000);
        boolean arrays = random.nextBoolean();
        StringBuilder sb = new StringBuilder("{\"").append(first).append("\": ");
        for (int i = 0; i < depth; i++) {
            sb.append(arrays ? "[" : "{\"a\": ");
        }
        sb.append("1");
        sb.append((arrays ? "]" : "}").repeat(depth)).append('}');
        return json("nested", path, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Under the body limit but over a per-field limit: too many inputs, too long a text, too many stop strings. */
    private Case oversizedValues(String path) throws Exception {
        ObjectNode body = (ObjectNode) JSON.readTree(BASE.get(path));
        String longText = "x".repeat(100_001 + random.nextInt(1000));
        switch (path) {
            case "/v1/embeddings" -> body.set("input", JSON.valueToTree(random.nextBoolean()
                    ? java.util.Collections.nCopies(513, "a") : List.of(longText)));
            case "/embed", "/predict", "/tokenize" -> body.set("inputs", JSON.valueToTree(random.nextBoolean()
                    ? java.util.Collections.nCopies(513, "a") : List.of(longText)));
            case "/fill-mask" -> body.put("inputs", longText + MASK);
            case "/v1/completions" -> body.put("prompt", longText);
            case "/v1/chat/completions" -> ((ObjectNode) body.get("messages").get(0)).put("content", longText);
            case "/generate", "/generate_stream" -> body.put("inputs", longText);
            case "/rerank" -> body.set("texts", JSON.valueToTree(java.util.Collections.nCopies(513, "a")));
            case "/decode" -> body.set("ids", JSON.valueToTree(java.util.Collections.nCopies(200_000, 999_999)));
            default -> throw new IllegalStateException(path);
        }
        return json("oversized-value", path, JSON.writeValueAsBytes(body));
    }

    /** Management routes with missing, malformed or unsafe query parameters (never a valid change). */
    private Case management() {
        String[] urls = {"/models", "/models?url=", "/models?url=../../etc", "/models?url=/etc", "/models?url=%2e%2e",
            "/models?url=no-such-folder-" + count, "/models?model_name=x", "/models?url=nano-gpt&model_name=nano-gpt",
            "/models?url=.&model_name=root-" + count};
        String[] scale = {"min_worker=abc", "min_worker=-1&max_worker=1", "min_worker=0", "min_worker=3&max_worker=1",
            "max_worker=x", "min_worker=99999999999", "min_worker=1.5"};
        return switch (random.nextInt(5)) {
            case 0 -> new Case("mgmt-register", "POST", urls[random.nextInt(urls.length)], null, null);
            case 1 -> new Case("mgmt-scale", "PUT", "/models/" + (random.nextBoolean() ? "no-such-model" : "nano-gpt")
                    + "?" + scale[random.nextInt(scale.length)], null, null);
            case 2 -> new Case("mgmt-delete", "DELETE", "/models/no-such-model-" + count, null, null);
            case 3 -> new Case("mgmt-get", "GET", "/models/no-such-model-" + count + "?verbose=%25zz", null, null);
            default -> new Case("mgmt-method", "PATCH", "/models", "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        };
    }

    private static byte[] hugeBody() {
        byte[] body = new byte[4 * 1024 * 1024 + 100];
        java.util.Arrays.fill(body, (byte) 'a');
        byte[] head = "{\"input\": \"".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, body, 0, head.length);
        body[body.length - 2] = '"';
        body[body.length - 1] = '}';
        return body;
    }

    static JsonNode parse(String text) throws Exception {
        return JSON.readTree(text);
    }
}
