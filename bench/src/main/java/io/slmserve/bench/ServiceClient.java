package io.slmserve.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** A plain client for the few untimed calls: the correctness check against ORT and the request bodies. */
final class ServiceClient {

    static final ObjectMapper JSON = new ObjectMapper();

    record Embeddings(List<float[]> vectors, int promptTokens) {
    }

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final String baseUrl;
    private final String model;

    ServiceClient(String baseUrl, String model) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.model = model;
    }

    /** The request body the load generator sends: one string, or an array when several texts go in one request. */
    static String body(String model, List<String> texts, String encodingFormat) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", model);
        if (texts.size() == 1) {
            root.put("input", texts.get(0));
        } else {
            ArrayNode arr = root.putArray("input");
            texts.forEach(arr::add);
        }
        root.put("encoding_format", encodingFormat);
        return root.toString();
    }

    Embeddings embed(List<String> texts, String encodingFormat) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/embeddings"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(model, texts, encodingFormat)))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("POST /v1/embeddings -> " + response.statusCode() + ": " + response.body());
        }
        JsonNode root = JSON.readTree(response.body());
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            vectors.add(null);
        }
        for (JsonNode item : root.path("data")) {
            int index = item.path("index").asInt();
            JsonNode e = item.path("embedding");
            float[] v;
            if (e.isTextual()) {
                ByteBuffer bb = ByteBuffer.wrap(Base64.getDecoder().decode(e.asText())).order(ByteOrder.LITTLE_ENDIAN);
                v = new float[bb.remaining() / 4];
                bb.asFloatBuffer().get(v);
            } else {
                v = new float[e.size()];
                for (int d = 0; d < v.length; d++) {
                    v[d] = (float) e.get(d).asDouble();
                }
            }
            vectors.set(index, v);
        }
        if (vectors.contains(null)) {
            throw new IOException("response lacks some indices: " + response.body());
        }
        return new Embeddings(vectors, root.path("usage").path("prompt_tokens").asInt(-1));
    }
}
